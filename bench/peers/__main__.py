"""The bridge beside its peers, one run, one table: `python -m bench.peers [--json PATH]`.

Installs (once, into ~/.cache/perfex-bridge-peers; `bench/peers/install.sh`) Node 24,
n8n and Node-RED from the npm registry, then runs the same job on each system in turn:
a webhook in, one HTTP POST out to the same receiver (`bridge.loopback.receiver`, a
process of its own), load from one generator (bench.common.RawHttpConnection, 32
keep-alive connections), everything on 127.0.0.1. Per system:

- throughput at saturation: a bounded burst (`--burst`), deliveries per second from the
  first send to the last delivery (bounded by `--burst-wait` seconds);
- latency at a fixed rate (`--rate` for `--seconds`): webhook sent -> delivery arrived,
  p50/p99 (sent, not accepted: Node-RED answers only after its delivery);
- CPU-ms per delivery during the burst, from /proc of all the system's processes
  (its Valkey included); RSS of them all after the runs;
- killed mid-burst: a second burst (`--kill-burst`), SIGKILL of every process of the
  system except its store once a third is accepted, restart, then deliveries of the
  accepted webhooks counted for up to `--recover` seconds: lost = accepted, never delivered.

Ratios are against `bridge web + worker`. Without `node` on PATH the peers are skipped
with one line and the bridge rows still run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import RawHttpConnection, machine, percentile
from bench.peers.systems import Bridge as BridgeSystem
from bench.peers.systems import N8n, NodeRed, Proc, System
from bridge.loopback.processes import wait_http
from bridge.loopback.servers import free_port

HERE = Path(__file__).resolve().parent
REFERENCE = "bridge web + worker"


@dataclass
class Result:
    """One system's figures (None where a phase failed)."""

    system: str
    per_second: float | None = None
    burst_delivered: int = 0
    cpu_ms: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    paced_delivered: int = 0
    paced_sent: int = 0
    rss_mib: float | None = None
    kill_accepted: int = 0
    kill_delivered: int = 0
    kill_duplicates: int = 0
    kill_refused: int = 0
    recovered_in_s: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.kill_accepted - self.kill_delivered


class Load:
    """Numbered webhooks over keep-alive connections; when each was sent and accepted."""

    def __init__(self, url: str, concurrency: int, prefix: str) -> None:
        self.port = int(url.split(":")[2].split("/")[0])
        self.path = "/" + url.split("/", 3)[3]
        self.prefix = prefix
        self.idle: asyncio.Queue[RawHttpConnection] = asyncio.Queue()
        for _ in range(concurrency):
            self.idle.put_nowait(RawHttpConnection(self.port))
        self.sent: dict[str, float] = {}
        self.accepted: dict[str, float] = {}
        self.refused = 0
        self.seq = 0
        #: set once `notify_at` webhooks are accepted (the moment to kill).
        self.reached = asyncio.Event()
        self.notify_at = 0

    async def post(self) -> None:
        self.seq += 1
        key = f"{self.prefix}-{self.seq}"
        body = json.dumps({"seq": key}).encode()
        connection = await self.idle.get()
        self.sent[key] = time.time()
        try:
            status = await connection.post(self.path, body, {"Content-Type": "application/json"})
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await connection.close()
            status = 0
        finally:
            self.idle.put_nowait(connection)
        if 200 <= status < 300:
            self.accepted[key] = time.time()
            if self.notify_at and len(self.accepted) >= self.notify_at:
                self.reached.set()
        else:
            self.refused += 1

    async def burst(self, count: int) -> None:
        async with asyncio.TaskGroup() as tg:
            for _ in range(count):
                tg.create_task(self.post())

    async def paced(self, rate: float, seconds: float) -> None:
        start = time.monotonic()
        async with asyncio.TaskGroup() as tg:
            for n in range(int(rate * seconds)):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                tg.create_task(self.post())

    async def aclose(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()


class Receiver:
    """The shared receiver process and what arrived at one system's path."""

    def __init__(self, root: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        command = [sys.executable, "-m", "bridge.loopback.receiver", "--port", port]
        self.proc = Proc(command, {}, root / "receiver.log").start()
        wait_http(f"{self.url}/_deliveries?count=1")
        self.client = httpx.AsyncClient(timeout=30)

    async def arrivals(self, path: str) -> dict[str, list[float]]:
        """seq -> arrival times of successful deliveries at `path`."""
        items = (await self.client.get(f"{self.url}/_deliveries")).json()
        found: dict[str, list[float]] = {}
        for item in items:
            if item["path"] == path and item["status"] < 300:
                try:
                    seq = str(json.loads(item["body"])["seq"])
                except (ValueError, KeyError, TypeError):
                    continue
                found.setdefault(seq, []).append(item["received_at"])
        return found

    async def wait_for(
        self, path: str, keys: set[str], within: float, settle: float = 0.0
    ) -> dict[str, list[float]]:
        """Poll until every key arrived (then `settle` s more, for doubles) or `within` s."""
        deadline = time.monotonic() + within
        got: dict[str, list[float]] = {}
        while time.monotonic() < deadline:
            got = await self.arrivals(path)
            if keys <= got.keys():
                await asyncio.sleep(settle)
                return await self.arrivals(path)
            await asyncio.sleep(0.25)
        return got

    async def clear(self) -> None:
        await self.client.delete(f"{self.url}/_deliveries")

    async def aclose(self) -> None:
        await self.client.aclose()
        self.proc.stop()


async def wait_ready(system: System, receiver: Receiver, within: float) -> None:
    """Post until the system accepts a webhook (n8n answers 404 for a while after /healthz)."""
    deadline = time.monotonic() + within
    load = Load(system.hook_url, 1, "ready")
    try:
        while time.monotonic() < deadline:
            await load.post()
            if load.accepted:
                return
            for proc in system.procs:
                if proc.popen is not None and proc.popen.poll() is not None:
                    raise RuntimeError(f"{system.name} exited:\n{system.logs()}")
            await asyncio.sleep(0.5)
    finally:
        await load.aclose()
    raise RuntimeError(f"{system.name} accepted nothing within {within:.0f} s:\n{system.logs()}")


async def measure(system: System, receiver: Receiver, args: argparse.Namespace) -> Result:
    """Warm-up, burst, paced run, RSS, then the kill (see the module docstring)."""
    result = Result(system.name)
    path = "/" + system.target.split("/", 3)[3]
    print(f"--- {system.name}: starting", flush=True)
    await asyncio.to_thread(system.start)
    await wait_ready(system, receiver, args.start_timeout)
    warm = Load(system.hook_url, args.concurrency, "warm")
    await warm.burst(args.warmup)
    await receiver.wait_for(path, set(warm.accepted), 60)
    await warm.aclose()
    await receiver.clear()

    burst = Load(system.hook_url, args.concurrency, "burst")
    cpu_before = system.cpu_seconds()
    await burst.burst(args.burst)
    got = await receiver.wait_for(path, set(burst.accepted), args.burst_wait)
    cpu_after = system.cpu_seconds()
    await burst.aclose()
    firsts = [min(times) for key, times in got.items() if key in burst.sent]
    if firsts:
        start = min(burst.sent.values())
        result.burst_delivered = len(firsts)
        result.per_second = len(firsts) / max(max(firsts) - start, 1e-3)
        result.cpu_ms = (cpu_after - cpu_before) * 1000 / len(firsts)
    print(f"    burst: {len(burst.accepted)} accepted, {len(firsts)} delivered", flush=True)
    await receiver.clear()

    paced = Load(system.hook_url, args.concurrency, "paced")
    await paced.paced(args.rate, args.seconds)
    got = await receiver.wait_for(path, set(paced.accepted), 60)
    await paced.aclose()
    latencies = [(min(t) - paced.sent[k]) * 1000 for k, t in got.items() if k in paced.sent]
    result.paced_sent, result.paced_delivered = len(paced.sent), len(latencies)
    if latencies:
        result.p50_ms, result.p99_ms = percentile(latencies, 0.5), percentile(latencies, 0.99)
    result.rss_mib = system.rss_bytes() / 2**20
    await receiver.clear()

    await kill_mid_burst(system, receiver, path, result, args)
    return result


async def kill_mid_burst(
    system: System, receiver: Receiver, path: str, result: Result, args: argparse.Namespace
) -> None:
    """SIGKILL once a third of a burst is accepted, restart, count what arrives."""
    load = Load(system.hook_url, args.concurrency, "kill")
    load.notify_at = max(1, args.kill_burst // 3)
    sending = asyncio.create_task(load.burst(args.kill_burst))
    reached = asyncio.create_task(load.reached.wait())
    await asyncio.wait([sending, reached], return_when=asyncio.FIRST_COMPLETED)
    reached.cancel()
    await asyncio.to_thread(system.kill)
    killed_at = time.monotonic()
    await sending
    await load.aclose()
    accepted = set(load.accepted)
    print(f"    killed with {len(accepted)} accepted; restarting", flush=True)
    await asyncio.to_thread(system.restart)
    await wait_ready(system, receiver, args.start_timeout)
    got = await receiver.wait_for(path, accepted, args.recover, settle=2.0)
    delivered = [k for k in accepted if k in got]
    result.kill_accepted, result.kill_delivered = len(accepted), len(delivered)
    result.kill_duplicates = sum(len(got[k]) - 1 for k in delivered)
    result.kill_refused = load.refused
    if delivered and len(delivered) == len(accepted):
        result.recovered_in_s = time.monotonic() - killed_at
    print(f"    {len(delivered)} of {len(accepted)} accepted delivered after the kill", flush=True)


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}x"


def table(results: list[Result]) -> str:
    """One Markdown table, ratios against `bridge web + worker`."""
    ref = next((r for r in results if r.system == REFERENCE), None)
    header = [
        "system",
        "delivered/s (burst)",
        "vs bridge",
        "p50 / p99 ms (paced)",
        "CPU-ms per delivery",
        "vs bridge",
        "RSS MiB",
        "vs bridge",
        "killed mid-burst: accepted / delivered / lost (doubles)",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        digits = 2 if r.cpu_ms is not None and r.cpu_ms < 10 else 0
        kill = (
            f"{r.kill_accepted} / {r.kill_delivered} / {r.lost} ({r.kill_duplicates})"
            if r.kill_accepted
            else "-"
        )
        lines.append(
            "| "
            + " | ".join(
                [
                    r.system,
                    _fmt(r.per_second),
                    _ratio(r.per_second, ref.per_second if ref else None),
                    f"{_fmt(r.p50_ms, 1)} / {_fmt(r.p99_ms, 1)}",
                    _fmt(r.cpu_ms, digits),
                    _ratio(r.cpu_ms, ref.cpu_ms if ref else None),
                    _fmt(r.rss_mib),
                    _ratio(r.rss_mib, ref.rss_mib if ref else None),
                    kill,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def install(cache: Path) -> tuple[Path | None, str]:
    """Run install.sh; (the Node 24 binary, "") or (None, why the peers are skipped)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None, "peers skipped: no `node`/`npm` on PATH"
    done = subprocess.run(["bash", str(HERE / "install.sh"), str(cache)], check=False, timeout=1800)
    if done.returncode:
        return None, f"peers skipped: install.sh exited {done.returncode}"
    return cache / "node24" / "bin" / "node", ""


async def run(args: argparse.Namespace, root: Path) -> tuple[list[Result], list[str]]:
    notes: list[str] = []
    node, why = (None, "peers skipped (--no-peers)") if args.no_peers else install(args.cache)
    if why:
        print(why, flush=True)
        notes.append(why)
    receiver = Receiver(root)
    systems: list[System] = []
    for name in args.only or ["n8n", "n8n-queue", "node-red", "bridge-up", "bridge-split"]:
        folder = root / name
        if name == "bridge-up":
            systems.append(BridgeSystem(folder, receiver.url, split=False))
        elif name == "bridge-split":
            systems.append(BridgeSystem(folder, receiver.url, split=True))
        elif node is None:
            continue
        elif name == "n8n":
            systems.append(N8n(folder, receiver.url, args.cache, node))
        elif name == "n8n-queue":
            systems.append(N8n(folder, receiver.url, args.cache, node, queue=True))
        elif name == "node-red":
            systems.append(NodeRed(folder, receiver.url, args.cache, node))
    results: list[Result] = []
    try:
        for system in systems:
            try:
                results.append(await measure(system, receiver, args))
            except Exception as exc:  # one failing system leaves a row
                print(f"    {system.name} failed: {exc}", flush=True)
                results.append(Result(system.name, problems=[str(exc)[:2000]]))
            finally:
                await asyncio.to_thread(system.stop)
            await receiver.clear()
    finally:
        await receiver.aclose()
    return results, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON here")
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "perfex-bridge-peers"
    )
    parser.add_argument(
        "--only", action="append", help="n8n, n8n-queue, node-red, bridge-up, bridge-split"
    )
    parser.add_argument("--no-peers", action="store_true", help="the bridge rows only")
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--burst-wait", type=float, default=90.0)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="webhooks/s of the paced run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kill-burst", type=int, default=300)
    parser.add_argument("--recover", type=float, default=90.0)
    parser.add_argument("--start-timeout", type=float, default=120.0)
    args = parser.parse_args()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        results, notes = asyncio.run(run(args, Path(tmp)))
    info = machine()
    out = table(results)
    print(f"\n{info['nproc']} CPUs, {info['cpu_model']}, Python {info['python']}\n")
    print(out)
    for r in results:
        for problem in r.problems:
            print(f"\n{r.system}: {problem[:600]}")
    if args.json:
        payload = {
            "machine": info,
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "started": started,
            "notes": notes,
            "reference": REFERENCE,
            "results": [asdict(r) | {"lost": r.lost} for r in results],
            "table": out,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
