"""The whole system end to end: inbound webhook -> `bridge web` -> `bridge worker` -> receiver.

    python bench/bench_system.py [--quick] [--json PATH] [--soak MINUTES]

Processes as users run them: `bridge web` and `bridge worker`, a Valkey with AOF on, and
receivers (`python -m bridge.loopback.receiver`) in processes of their own; this process
only generates load (httpx, keep-alive pool). Figures:

- max throughput: N webhooks posted as fast as the pool allows; steps/s from the first
  send to the last delivery. Baseline: plain httpx posting N to the same receiver.
- latency at a fixed rate (500/s, and `--light-rate` 100/s, within one worker's
  capacity): accept (the 202 arrived) to delivery, p50/p99.
- under faults (50 events/s): one event feeds a healthy and a flaky receiver (failing half
  the time); the healthy one's p99 against the same run with both healthy (target: 2x).
- CPU per step of each process during the max-throughput burst: where the time goes.
- memory: worker and web RSS after the runs; Redis used_memory per stored event (event,
  run record, attempts, indexes).
- `--soak MINUTES`: steady traffic; samples worker/web RSS and Redis used_memory every
  `--sample` seconds; prints the series and each slope (retention shortened to
  `--retention` seconds, so Redis can level off within the soak).
- `--signed`: the hooks verify GitHub signatures and the steps sign theirs (Standard
  Webhooks), the setting issue 15's CPU target is about.
- `--profile SVG`: after the measured runs, two more bursts with py-spy recording the
  worker: a flame graph, and its collapsed stacks beside it (.txt) for
  `bench/profile_summary.py` (apart, so py-spy's sampling does not count in the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    RawHttpConnection,
    Row,
    check,
    percentile,
    print_table,
    slope,
    write_json,
)
from bridge.loopback.processes import BridgeProcess, RestartableValkey, wait_http
from bridge.loopback.servers import free_port

RETRY = "{attempts: 5, backoff: 0.5, max_delay: 2}"


#: `--signed`: the hooks verify GitHub signatures, the steps sign (Standard Webhooks).
HOOK_SECRET = "bench-github-secret"
STEP_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def rules_yaml(healthy: str, flaky: str, signed: bool = False) -> str:
    """Hook `load` -> one step; hook `pair` -> a healthy and a flaky receiver."""
    verify = f"verify: github, secret: {HOOK_SECRET}" if signed else "verify: none"
    secret = f"          secret: {STEP_SECRET}\n" if signed else ""

    def rule(name: str, on: str, url: str) -> str:
        return (
            f"  - name: {name}\n    on: {on}\n    do:\n      - webhook:\n"
            f"          url: {url}\n"
            f'          body: {{seq: "{{{{ event.data.seq }}}}"}}\n{secret}'
            f"        retry: {RETRY}\n"
        )

    return (
        f"hooks:\n  - {{name: load, {verify}}}\n  - {{name: pair, {verify}}}\nrules:\n"
        + rule("one", "webhook.load", f"{healthy}/one")
        + rule("pair-healthy", "webhook.pair", f"{healthy}/pair")
        + rule("pair-flaky", "webhook.pair", f"{flaky}/pair")
    )


class Load:
    """Posts numbered webhooks over a pool of keep-alive connections; remembers when each
    was accepted. Hand-written HTTP (bench.common.RawHttpConnection): the load generator
    shares the two cores with the system under test, so it must be cheap."""

    def __init__(self, web: str, concurrency: int, signed: bool = False) -> None:
        self.web = web
        self.signed = signed
        port = int(web.rsplit(":", 1)[1])
        self.idle: asyncio.Queue[RawHttpConnection] = asyncio.Queue()
        for _ in range(concurrency):
            self.idle.put_nowait(RawHttpConnection(port))
        self.accepted: dict[str, float] = {}
        self.refused = 0
        self.seq = 0

    async def post(self, hook: str) -> None:
        self.seq += 1
        key = f"{hook}-{self.seq}"
        body = json.dumps({"seq": key}).encode()
        headers = {"Content-Type": "application/json", "webhook-id": key}
        if self.signed:
            digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers |= {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": key}
        connection = await self.idle.get()
        try:
            status = await connection.post(f"/hooks/{hook}", body, headers)
        finally:
            self.idle.put_nowait(connection)
        if status == 202:
            self.accepted[key] = time.time()
        else:
            self.refused += 1

    async def aclose(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    async def paced(self, hook: str, rate: float, seconds: float) -> int:
        """Send at `rate` per second for `seconds`; the number sent."""
        count = int(rate * seconds)
        start = time.monotonic()
        async with asyncio.TaskGroup() as tg:
            for n in range(count):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                tg.create_task(self.post(hook))
        return count

    async def burst(self, hook: str, count: int) -> None:
        async with asyncio.TaskGroup() as tg:
            for _ in range(count):
                tg.create_task(self.post(hook))


async def wait_count(client: httpx.AsyncClient, receiver: str, count: int, within: float) -> int:
    """Wait until `receiver` has `count` successful deliveries; how many it has."""
    deadline = time.monotonic() + within
    got = 0
    while time.monotonic() < deadline:
        got = int((await client.get(f"{receiver}/_deliveries?count=1")).json()["ok"])
        if got >= count:
            break
        await asyncio.sleep(0.1)
    return got


async def deliveries(client: httpx.AsyncClient, receiver: str, path: str) -> dict[str, float]:
    """seq -> first successful arrival time, of one path, then forget them."""
    items = (await client.get(f"{receiver}/_deliveries")).json()
    await client.delete(f"{receiver}/_deliveries")
    first: dict[str, float] = {}
    for item in items:
        if item["path"] == path and item["status"] < 300:
            seq = json.loads(item["body"])["seq"]
            first.setdefault(seq, item["received_at"])
    return first


def latencies_ms(load: Load, arrived: dict[str, float]) -> list[float]:
    return [(t - load.accepted[k]) * 1000 for k, t in arrived.items() if k in load.accepted]


async def baseline(receiver: str, count: int, concurrency: int) -> float:
    """Plain httpx posting `count` bodies to the receiver: requests per second."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(n: int) -> None:
            async with gate:
                await client.post(f"{receiver}/base", json={"seq": n})

        start = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            for n in range(count):
                tg.create_task(one(n))
        elapsed = time.perf_counter() - start
        await client.delete(f"{receiver}/_deliveries")
    return count / elapsed


async def used_memory(redis: Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


async def cpu_split(system: System, redis: Redis) -> dict[str, float]:
    """CPU seconds used so far by each part of the pipeline (this process is the load)."""
    info = await redis.info("cpu")
    return {
        "web": system.web.cpu_seconds(),
        "worker": sum(worker.cpu_seconds() for worker in system.workers),
        "receiver": system.receiver.cpu_seconds(),
        "Valkey": float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
        "Redis commands": float((await redis.info("stats"))["total_commands_processed"]),
        "load generator": time.process_time(),
    }


class System:
    """Valkey, receivers, `bridge web` and `bridge worker` in a temporary directory."""

    def __init__(
        self, root: Path, retention: float | None = None, workers: int = 1, signed: bool = False
    ) -> None:
        self.root = root
        self.worker_count = workers
        self.valkey = RestartableValkey(root / "valkey", free_port())
        self.healthy = f"http://127.0.0.1:{free_port()}"
        self.flaky = f"http://127.0.0.1:{free_port()}"
        self.web_url = f"http://127.0.0.1:{free_port()}"
        rules = root / "rules.yml"
        rules.write_text(rules_yaml(self.healthy, self.flaky, signed))
        self.env = {
            "BRIDGE_REDIS_URL": self.valkey.url,
            "BRIDGE_RULES": str(rules),
            "BRIDGE_DATA_DIR": str(root / "data"),
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_PORT": self.web_url.rsplit(":", 1)[1],
            "BRIDGE_LOG_LEVEL": "WARNING",
        }
        if retention is not None:
            self.env["BRIDGE_RETENTION_DAYS"] = str(retention / 86400)
        self.processes: list[BridgeProcess] = []

    def _process(self, *args: str, name: str, module: str = "bridge") -> BridgeProcess:
        log = self.root / f"{name}.log"
        process = BridgeProcess(*args, env=self.env, log_path=log, module=module).start()
        self.processes.append(process)
        return process

    def __enter__(self) -> System:
        self.valkey.start()
        for url, name in ((self.healthy, "healthy"), (self.flaky, "flaky")):
            port = url.rsplit(":", 1)[1]
            receiver = self._process("--port", port, name=name, module="bridge.loopback.receiver")
            wait_http(f"{url}/_deliveries?count=1", process=receiver)
            if name == "healthy":
                self.receiver = receiver
        self.web = self._process("web", name="web")
        wait_http(f"{self.web_url}/readyz", process=self.web)
        self.workers = [
            self._process("worker", name=f"worker-{n}") for n in range(self.worker_count)
        ]
        self.worker = self.workers[0]
        return self

    def __exit__(self, *exc: object) -> None:
        for process in reversed(self.processes):
            process.stop(timeout=15)
        self.valkey.stop()


async def measure(system: System, args: argparse.Namespace) -> list[Row]:
    """Throughput, latency, faults and memory (see the module docstring)."""
    redis = Redis.from_url(system.valkey.url)
    client = httpx.AsyncClient(timeout=30)
    load = Load(system.web_url, args.concurrency, args.signed)
    healthy = system.healthy
    try:
        await load.burst("load", 200)  # warm up: imports, pools, connections
        await wait_count(client, healthy, 200, 120)
        await deliveries(client, healthy, "/one")

        memory_before = await used_memory(redis)
        cpu_before = await cpu_split(system, redis)
        start = time.time()
        await load.burst("load", args.events)
        got = await wait_count(client, healthy, args.events, 300)
        cpu_after = await cpu_split(system, redis)
        arrived = await deliveries(client, healthy, "/one")
        steps = got / (max(arrived.values()) - start) if arrived else 0.0
        memory_after = await used_memory(redis)
        base = await baseline(healthy, args.events, args.concurrency)

        sent = await load.paced("load", args.rate, args.seconds)
        await wait_count(client, healthy, sent, 120)
        paced = latencies_ms(load, await deliveries(client, healthy, "/one"))

        light_sent = await load.paced("load", args.light_rate, args.seconds)
        await wait_count(client, healthy, light_sent, 120)
        light = latencies_ms(load, await deliveries(client, healthy, "/one"))

        normal_sent = await load.paced("pair", args.fault_rate, args.seconds)
        await wait_count(client, healthy, normal_sent, 120)
        normal = latencies_ms(load, await deliveries(client, healthy, "/pair"))
        await client.post(f"{system.flaky}/_control", json={"fail_ratio": 0.5})
        faulty_sent = await load.paced("pair", args.fault_rate, args.seconds)
        await wait_count(client, healthy, faulty_sent, 120)
        faulty = latencies_ms(load, await deliveries(client, healthy, "/pair"))
        await client.post(f"{system.flaky}/_control", json={"fail_ratio": 0.0})

        if args.profile:
            await profile_burst(system, load, client, args)

        stored = args.events
        per_event = (memory_after - memory_before) / stored
        worker_rss = system.worker.rss_bytes() or 0
        web_rss = system.web.rss_bytes() or 0
    finally:
        await client.aclose()
        await load.aclose()
        await redis.aclose()
    p50, p99 = percentile(paced, 0.5), percentile(paced, 0.99)
    normal_p99, faulty_p99 = percentile(normal, 0.99), percentile(faulty, 0.99)
    rate = f"{args.rate:.0f}/s"
    return [
        Row(
            f"e2e steps/s (web + {args.workers} worker, max)",
            steps,
            "steps/s",
            base,
            ">= 1000, >= 0.4x httpx",
            check(steps, lambda v: v >= 1000 and v >= 0.4 * base),
            note=f"{args.events} webhooks, {args.concurrency} connections; baseline: plain "
            "httpx posting to the same receiver",
        ),
        Row(
            f"e2e accept->delivery p50 @ {rate}",
            p50,
            "ms",
            None,
            "< 50",
            check(p50, lambda v: v < 50),
            note=f"{len(paced)} of {sent} delivered",
        ),
        Row(
            f"e2e accept->delivery p99 @ {rate}",
            p99,
            "ms",
            None,
            "< 250",
            check(p99, lambda v: v < 250),
        ),
        Row(
            f"e2e accept->delivery p50 @ {args.light_rate:.0f}/s",
            percentile(light, 0.5),
            "ms",
            None,
            "< 50",
            check(percentile(light, 0.5), lambda v: v < 50),
            note="a rate within one worker's capacity",
        ),
        Row(
            f"e2e accept->delivery p99 @ {args.light_rate:.0f}/s",
            percentile(light, 0.99),
            "ms",
            None,
            "< 250",
            check(percentile(light, 0.99), lambda v: v < 250),
        ),
        Row(
            f"healthy p99, other receiver 50% 5xx @ {args.fault_rate:.0f}/s",
            faulty_p99,
            "ms",
            normal_p99,
            "<= 2x no-fault",
            check(faulty_p99, lambda v: v <= 2 * normal_p99),
            note="baseline: the same run with both receivers healthy",
        ),
        *(
            Row(
                f"CPU per step: {part}",
                (cpu_after[part] - cpu_before[part]) * 1000 / args.events,
                "ms",
                None,
                "",
                None,
                note="during the max-throughput burst; 2 cores give 2,000 CPU-ms per second",
            )
            for part in cpu_before
            if part != "Redis commands"
        ),
        Row(
            "Redis commands per step",
            (cpu_after["Redis commands"] - cpu_before["Redis commands"]) / args.events,
            "commands",
            None,
            "",
            None,
            note="INFO stats total_commands_processed during the burst (web and worker)",
        ),
        Row(
            "CPU per step: web + worker + Valkey",
            sum(cpu_after[p] - cpu_before[p] for p in ("web", "worker", "Valkey"))
            * 1000
            / args.events,
            "ms",
            None,
            "<= 2.0 (issue 15)",
            None,
            note="the bridge's own processes; the receiver and load generator left out",
        ),
        Row("worker RSS after runs", worker_rss / 2**20, "MiB", None, "", None),
        Row("web RSS after runs", web_rss / 2**20, "MiB", None, "", None),
        Row(
            "Redis memory per stored event",
            per_event,
            "bytes",
            None,
            "",
            None,
            note="event + run record + attempt + indexes, INFO used_memory delta",
        ),
    ]


async def profile_burst(
    system: System, load: Load, client: httpx.AsyncClient, args: argparse.Namespace
) -> None:
    """Two more bursts with py-spy recording the worker: the flame graph `args.profile`
    (SVG), then its collapsed stacks beside it (.txt, for bench/profile_summary.py)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    svg = Path(args.profile)
    for fmt, out in (("flamegraph", svg), ("raw", svg.with_suffix(".txt"))):
        command = [spy, "record", "--pid", str(system.worker.pid), "--rate", "250"]
        command += ["--format", fmt, "--output", str(out)]
        recorder = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        await asyncio.sleep(1.0)  # py-spy attaches
        await load.burst("load", args.events)
        await wait_count(client, system.healthy, args.events, 300)
        await deliveries(client, system.healthy, "/one")
        recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        _, err = await asyncio.wait_for(recorder.communicate(), 60)
        if recorder.returncode:
            print(f"py-spy failed ({recorder.returncode}): {err.decode(errors='replace')[-500:]}")


async def soak(system: System, args: argparse.Namespace) -> list[Row]:
    """Steady traffic for `args.soak` minutes; memory sampled every `args.sample` s."""
    redis = Redis.from_url(system.valkey.url)
    load = Load(system.web_url, args.concurrency, args.signed)
    samples: list[tuple[float, float, float, float]] = []
    stop = asyncio.Event()

    async def drive() -> None:
        while not stop.is_set():
            await load.paced("load", args.soak_rate, 1.0)

    driver = asyncio.create_task(drive())
    start = time.monotonic()
    print(f"{'t s':>6} {'worker MiB':>11} {'web MiB':>9} {'redis MiB':>10} {'accepted':>9}")
    try:
        while time.monotonic() - start < args.soak * 60:
            await asyncio.sleep(args.sample)
            t = time.monotonic() - start
            sample = (
                t,
                (system.worker.rss_bytes() or 0) / 2**20,
                (system.web.rss_bytes() or 0) / 2**20,
                await used_memory(redis) / 2**20,
            )
            samples.append(sample)
            print(
                f"{t:>6.0f} {sample[1]:>11.1f} {sample[2]:>9.1f} {sample[3]:>10.1f} "
                f"{len(load.accepted):>9}",
                flush=True,
            )
    finally:
        stop.set()
        await driver
        await load.aclose()
        await redis.aclose()
    half = samples[len(samples) // 2 :]
    rows = []
    for index, name in ((1, "worker RSS"), (2, "web RSS"), (3, "Redis used_memory")):
        per_min = slope([(s[0] / 60, s[index]) for s in half])
        mean = sum(s[index] for s in half) / max(len(half), 1)
        flat = abs(per_min) * args.soak < 0.1 * mean
        rows.append(
            Row(
                f"soak {name} slope (2nd half)",
                per_min,
                "MiB/min",
                mean,
                "flat: < 10% over the soak",
                flat,
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument(
        "--light-rate", type=float, default=100.0, help="a paced run within capacity"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=50.0,
        help="events/s of the fault run (two steps each, one to the failing receiver)",
    )
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="`bridge worker` processes (CPU is their sum)"
    )
    parser.add_argument(
        "--signed",
        action="store_true",
        help="hooks verify GitHub signatures and steps sign theirs (issue 15's setting)",
    )
    parser.add_argument(
        "--profile", metavar="SVG", help="py-spy flame graph of the worker during a burst"
    )
    parser.add_argument("--soak", type=float, default=0.0, metavar="MINUTES")
    parser.add_argument("--sample", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument(
        "--soak-rate", type=float, default=100.0, help="events/s, within one worker's capacity"
    )
    parser.add_argument("--retention", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args()
    if args.quick:
        args.events, args.seconds = min(args.events, 1000), min(args.seconds, 3.0)
    with tempfile.TemporaryDirectory() as tmp:
        if args.soak:
            with System(Path(tmp), retention=args.retention, signed=args.signed) as system:
                rows = asyncio.run(soak(system, args))
        else:
            with System(Path(tmp), workers=args.workers, signed=args.signed) as system:
                rows = asyncio.run(measure(system, args))
    print_table(rows)
    if args.json:
        write_json(args.json, rows, config=vars(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
