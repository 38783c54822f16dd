"""End-to-end load and its bookkeeping: numbered webhooks out, their deliveries back.

`Load` posts numbered webhooks to `bridge web` (hand-written HTTP, bench.common's
`RawHttpConnection`: the load generator shares the two cores with the system under test)
and remembers when each was sent and when its 2xx answer arrived (the *accept*). `Ledger`
takes what arrived at a receiver (`bench.receiver`'s `POST /_take`) and keeps each
webhook's first successful delivery and how many came more than once. Latency is
accept -> delivery: the 2xx answer's arrival at the load generator to the delivery's
arrival at the receiver (both `time.time()` on the same host).

Paced runs are open loop: every send has a fixed time (`start + n / rate`) that does not
wait for earlier answers, and the connection pool grows rather than making a send wait, so
a slower system meets the same load (and its queueing shows in the latency) instead of
slowing the load down. `Pace` says what rate was achieved and how late the pacer ran.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

import httpx

from bench.common import RawHttpConnection

#: `--signed`: the hooks verify GitHub signatures with this secret.
HOOK_SECRET = "bench-github-secret"

#: a paced run opens at most this many connections (one per request still in flight).
MAX_PACED_CONNECTIONS = 512


@dataclass
class Pace:
    """What one paced run did against what it was asked."""

    asked: float
    sent: int = 0
    #: the keys the web accepted (2xx), in the order the answers came.
    keys: list[str] = field(default_factory=list)
    refused: int = 0
    failed: int = 0
    first_send: float = 0.0
    last_send: float = 0.0
    #: the latest send against its scheduled time: the pacer's own lag.
    max_lag_ms: float = 0.0
    #: sends that waited for a connection (the pool at its cap): closed-loop moments.
    waited: int = 0

    @property
    def rate(self) -> float:
        """Sends per second achieved, first send to last."""
        span = self.last_send - self.first_send
        return (self.sent - 1) / span if self.sent > 1 and span > 0 else 0.0


class Load:
    """Posts numbered webhooks over a pool of keep-alive connections."""

    def __init__(self, web: str, concurrency: int, signed: bool = False) -> None:
        self.signed = signed
        self.port = int(web.rsplit(":", 1)[1])
        self.idle: asyncio.Queue[RawHttpConnection] = asyncio.Queue()
        for _ in range(concurrency):
            self.idle.put_nowait(RawHttpConnection(self.port))
        self.concurrency = concurrency
        self.opened = concurrency
        #: key -> time.time() just before its request was written.
        self.sent_at: dict[str, float] = {}
        #: key -> time.time() when its 2xx answer had arrived.
        self.accepted: dict[str, float] = {}
        self.refused = 0
        self.failed = 0
        self.seq = 0

    async def post(self, hook: str, pace: Pace | None = None) -> str | None:
        """Post the next numbered webhook; its key when accepted (2xx), else None.

        With `pace`, a new connection is opened when none is idle (up to
        MAX_PACED_CONNECTIONS), so the send goes out on time.
        """
        self.seq += 1
        key = f"{hook}-{self.seq}"
        body = json.dumps({"seq": key}).encode()
        headers = {"Content-Type": "application/json", "webhook-id": key}
        if self.signed:
            digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers |= {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": key}
        if pace is not None and self.idle.empty() and self.opened < MAX_PACED_CONNECTIONS:
            self.opened += 1
            connection = RawHttpConnection(self.port)
        else:
            if pace is not None and self.idle.empty():
                pace.waited += 1
            connection = await self.idle.get()
        sent = self.sent_at[key] = time.time()
        if pace is not None:
            pace.sent += 1
            pace.first_send = pace.first_send or sent
            pace.last_send = sent
        try:
            status = await connection.post(f"/hooks/{hook}", body, headers)
        except (OSError, asyncio.IncompleteReadError):
            await connection.close()
            status = 0
        finally:
            self.idle.put_nowait(connection)
        if 200 <= status < 300:
            self.accepted[key] = time.time()
            if pace is not None:
                pace.keys.append(key)
            return key
        if status:
            self.refused += 1
        else:
            self.failed += 1
        if pace is not None:
            pace.refused += bool(status)
            pace.failed += not status
        return None

    async def paced(self, hook: str, rate: float, seconds: float, pace: Pace | None = None) -> Pace:
        """Send at `rate` per second for `seconds`, open loop (see the module docstring);
        `pace` (updated as the run goes) lets a caller watch it."""
        pace = pace or Pace(asked=rate)
        start = time.monotonic()
        async with asyncio.TaskGroup() as tg:
            for n in range(int(rate * seconds)):
                late = time.monotonic() - (start + n / rate)
                if late < 0:
                    await asyncio.sleep(-late)
                else:
                    pace.max_lag_ms = max(pace.max_lag_ms, late * 1000)
                tg.create_task(self.post(hook, pace))
        return pace

    async def burst(self, hook: str, count: int) -> list[str]:
        """`count` webhooks as fast as `concurrency` connections allow (closed loop, however
        many a paced run opened since); the accepted keys."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one() -> str | None:
            async with gate:
                return await self.post(hook)

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(one()) for _ in range(count)]
        return [key for task in tasks if (key := task.result()) is not None]

    async def aclose(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()


class Ledger:
    """The deliveries of numbered webhooks at one receiver path."""

    def __init__(self, path: str) -> None:
        self.path = path
        #: key -> time.time() of its first successful (2xx) delivery at the receiver.
        self.first: dict[str, float] = {}
        #: successful deliveries of a key already delivered: doubles.
        self.doubled = 0

    def add(self, items: list[list[object]]) -> list[str]:
        """Record `POST /_take`'s items; the keys delivered for the first time."""
        new = []
        for path, body, received_at, status in items:
            if path != self.path or not isinstance(status, int) or status >= 300:
                continue
            key = json.loads(str(body))["seq"]
            if key in self.first:
                self.doubled += 1
            else:
                self.first[key] = float(received_at)  # type: ignore[arg-type]
                new.append(key)
        return new


async def take(client: httpx.AsyncClient, receiver: str) -> list[list[object]]:
    """What arrived at `receiver` since the last take (and it forgets them)."""
    answer = await client.post(f"{receiver}/_take")
    answer.raise_for_status()
    items: list[list[object]] = answer.json()
    return items


async def collect(
    client: httpx.AsyncClient,
    receiver: str,
    ledger: Ledger,
    keys: list[str],
    within: float,
) -> int:
    """Take deliveries into `ledger` until every key in `keys` has arrived or `within`
    seconds passed; how many of `keys` are still missing."""
    deadline = time.monotonic() + within
    missing = [k for k in keys if k not in ledger.first]
    while True:
        ledger.add(await take(client, receiver))
        missing = [k for k in missing if k not in ledger.first]
        if not missing or time.monotonic() > deadline:
            return len(missing)
        await asyncio.sleep(0.1)


def latencies_ms(since: dict[str, float], ledger: Ledger, keys: list[str]) -> list[float]:
    """Milliseconds from `since[key]` (a send or an accept) to the key's first delivery."""
    return [(ledger.first[k] - since[k]) * 1000 for k in keys if k in ledger.first and k in since]
