"""Poller fixtures: a real sandbox on 127.0.0.1 with its control API, and event readers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.poller.runner import Timing
from bridge.poller.service import PollerService
from bridge.sandbox.app import create_app
from bridge.settings import Settings

TOKEN = "poller-test-token"
CONTROL = "poller-control-token"
#: 2026-11-24 10:00:00 UTC: the sandbox's frozen "now" at the start of each test.
T0 = 1_795_514_400
FAST = Timing(poll_interval=0.2, reconcile_interval=0.4, lock_ttl=0.6, backoff_cap=0.5)


@dataclass
class Control:
    """The sandbox's control API: its clock, its records, its faults."""

    url: str
    http: httpx.AsyncClient

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(
            method,
            f"{self.url}/_sandbox{path}",
            json=body,
            headers={"x-sandbox-token": CONTROL},
        )
        response.raise_for_status()
        return response.json()

    async def freeze(self, timestamp: float) -> None:
        await self._call("POST", "/clock", {"set": timestamp, "freeze": True})

    async def advance(self, seconds: float) -> None:
        await self._call("POST", "/clock", {"advance": seconds})

    async def now(self) -> int:
        return int((await self._call("GET", "/clock"))["now"])

    async def create(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        created: list[dict[str, Any]] = await self._call("POST", f"/records/{table}", rows)
        return created

    async def update(self, table: str, rid: int | str, fields: dict[str, Any]) -> None:
        await self._call("PATCH", f"/records/{table}/{rid}", fields)

    async def delete(self, table: str, rid: int | str) -> None:
        await self._call("DELETE", f"/records/{table}/{rid}")

    async def fault(self, spec: dict[str, Any]) -> None:
        await self._call("POST", "/faults", spec)

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def module(self, **settings: Any) -> None:
        """Play another API module: version="legacy", no_list=[...], webhooks=False."""
        await self._call("POST", "/module", settings)

    async def calls(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/calls")
        return result


@pytest.fixture
def sandbox_url(serve: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """A fresh, unseeded sandbox served on 127.0.0.1."""
    with serve(create_app(token=TOKEN, control_token=CONTROL)) as url:
        yield url


@pytest.fixture
async def control(sandbox_url: str) -> AsyncIterator[Control]:
    """The control API of the test's sandbox, its clock frozen at T0."""
    async with httpx.AsyncClient(timeout=10) as http:
        ctl = Control(sandbox_url, http)
        await ctl.freeze(T0)
        yield ctl


def make_settings(sandbox_url: str, redis_url: str, **overrides: Any) -> Settings:
    """Settings for a poller of the test sandbox."""
    values: dict[str, Any] = {
        "perfex_url": sandbox_url + "/api",
        "perfex_token": TOKEN,
        "redis_url": redis_url,
        "poll_interval": FAST.poll_interval,
        "reconcile_interval": FAST.reconcile_interval,
        "poll_resources": ("leads",),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running(service: PollerService) -> AsyncIterator[asyncio.Task[None]]:
    """Run a PollerService in the background for the block, then stop it cleanly."""
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def wait_until(
    check: Callable[[], Awaitable[bool]], within: float = 20.0, what: str = "condition"
) -> None:
    """Poll `check` until it is true; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def stored_events(redis: Redis, prefix: str = "") -> list[dict[str, Any]]:
    """Every event appended to the router's stream (one entry per new event), in order."""
    import json

    entries = await redis.xrange(constants.EVENT_STREAM)
    out = []
    for _, fields in entries:
        raw = await redis.get(constants.EVENT_KEY + fields[b"id"].decode())
        if raw is not None:
            event = json.loads(raw)
            if event["type"].startswith(prefix):
                out.append(event)
    return out


async def status(redis: Redis, resource: str) -> dict[str, str]:
    """The poller status hash of a resource, decoded."""
    raw = await redis.hgetall(constants.POLLER_STATUS + resource)  # type: ignore[misc]
    return {k.decode(): v.decode() for k, v in raw.items()}


async def settle(redis: Redis, resource: str, polls: int = 2) -> None:
    """Wait until `polls` more polls of the resource succeeded (one began after the call)."""
    for _ in range(polls):
        before = (await status(redis, resource)).get("last_success", "0")

        async def check(before: str = before) -> bool:
            latest = (await status(redis, resource)).get("last_success", "0")
            return float(latest) > float(before)

        await wait_until(check, what=f"a successful poll of {resource}")
