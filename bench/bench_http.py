"""The outbound HTTP path alone: what is httpx's, what is ours.

    python bench/bench_http.py [--requests N] [--concurrency C] [--json PATH]

A receiver (`python -m bridge.loopback.receiver`) in a process of its own; this process
posts the same small JSON body to it, N requests C at a time, five ways, and reports the
CPU time this process spends per request (time.process_time, so the receiver and the
rest of the machine do not count; noise on a shared machine shows mostly in wall time):

- raw: hand-written HTTP/1.1 on asyncio streams (bench.common.RawHttpConnection, C
  keep-alive connections): what the socket work itself costs, with no HTTP library;
- transport: httpcore's pool through httpx.AsyncHTTPTransport (an httpx.Request in,
  the body read): the floor any httpx-based sender pays;
- httpx client: `AsyncClient.post` (URL merge, cookies, auth and redirect machinery);
- deliver: the bridge's `webhook.deliver` on its `make_client` client (SSRF guard,
  Standard Webhooks signature, bounded read);
- aiohttp (only when it is installed; not a dependency): `ClientSession.post` with a
  pooled connector, for comparison with httpx's client;
- run_webhook: the whole `webhook:` action (`actions.run_webhook`: redacted request
  summary, outcome), which is what a worker runs per step.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RawHttpConnection, Row, print_table, write_json
from bridge.executor import actions, webhook
from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.servers import free_port

BODY = {"seq": "1", "event": {"type": "webhook.load", "data": {"id": 42, "name": "Acme"}}}
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def timed(
    send: Callable[[int], Awaitable[None]], count: int, concurrency: int
) -> tuple[float, float]:
    """(CPU ms per request in this process, requests per second)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await send(n)

    cpu, wall = time.process_time(), time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for n in range(count):
            tg.create_task(one(n))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000 / count, count / wall


async def measure(receiver: str, args: argparse.Namespace) -> list[Row]:
    url = f"{receiver}/http"
    content = webhook.encode_body(BODY)[0]
    headers = {"content-type": "application/json", "user-agent": webhook.USER_AGENT}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
    plain = httpx.AsyncClient(trust_env=False, follow_redirects=False, limits=limits)
    bridge = webhook.make_client(allow_private=True)
    control = httpx.AsyncClient()

    port = int(receiver.rsplit(":", 1)[1])
    idle: asyncio.Queue[RawHttpConnection] = asyncio.Queue()
    for _ in range(args.concurrency):
        idle.put_nowait(RawHttpConnection(port))

    async def via_raw(n: int) -> None:
        connection = await idle.get()
        try:
            await connection.post("/http", content, headers)
        finally:
            idle.put_nowait(connection)

    async def via_transport(n: int) -> None:
        request = httpx.Request("POST", url, headers=headers, content=content)
        response = await transport.handle_async_request(request)
        await response.aread()
        await response.aclose()

    async def via_client(n: int) -> None:
        await plain.post(url, content=content, headers=headers)

    async def via_deliver(n: int) -> None:
        await webhook.deliver(
            bridge, url=url, body=BODY, msg_id=f"msg_{n}", secret=SECRET, allow_private=True
        )

    params = {"url": url, "body": BODY, "secret": SECRET}
    secrets = actions.webhook_secrets(params)

    async def via_action(n: int) -> None:
        await actions.run_webhook(
            bridge,
            params,
            event=BODY,
            msg_id=f"msg_{n}",
            allow_private=True,
            max_timeout=30.0,
            secrets=secrets,
        )

    ways = [
        ("raw", via_raw),
        ("transport", via_transport),
        ("httpx client", via_client),
        ("deliver", via_deliver),
        ("run_webhook", via_action),
    ]
    session = None
    try:
        import aiohttp  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        print("aiohttp not installed: its row is left out")
    else:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))

        async def via_aiohttp(n: int) -> None:
            async with session.post(url, data=content, headers=headers) as response:
                await response.read()

        ways.insert(3, ("aiohttp", via_aiohttp))
    figures: dict[str, tuple[float, float]] = {}
    try:
        for rnd in range(args.rounds):
            for name, send in ways:
                await timed(send, min(200, args.requests), args.concurrency)  # warm pools
                cpu, per_s = await timed(send, args.requests, args.concurrency)
                await control.delete(f"{receiver}/_deliveries")
                best = figures.get(name)
                figures[name] = (min(cpu, best[0]), max(per_s, best[1])) if best else (cpu, per_s)
                print(f"round {rnd + 1} {name:<13} {cpu:6.3f} CPU-ms/request {per_s:7.0f}/s")
    finally:
        await transport.aclose()
        await plain.aclose()
        await bridge.close()
        await control.aclose()
        if session is not None:
            await session.close()
        while not idle.empty():
            await idle.get_nowait().close()
    floor = figures["transport"][0]
    rows = [
        Row(
            f"HTTP CPU per request: {name}",
            cpu,
            "ms",
            floor,
            "",
            None,
            note=f"{per_s:,.0f} requests/s; best of {args.rounds} rounds; "
            "baseline: httpx's transport alone",
        )
        for name, (cpu, per_s) in figures.items()
    ]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        receiver = BridgeProcess(
            "--port",
            str(port),
            env={},
            log_path=Path(tmp) / "receiver.log",
            module="bridge.loopback.receiver",
        ).start()
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/_deliveries?count=1", process=receiver)
            rows = asyncio.run(measure(url, args))
        finally:
            receiver.stop()
    print_table(rows)
    if args.json:
        write_json(args.json, rows, config=vars(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
