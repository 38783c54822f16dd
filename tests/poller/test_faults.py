"""Faults: Perfex down, rate limited, refusing the token, answering garbage."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest
from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.poller import cursor
from bridge.poller.service import PollerService
from bridge.sandbox.app import create_app
from tests.poller.conftest import (
    CONTROL,
    FAST,
    T0,
    TOKEN,
    Control,
    make_settings,
    running,
    settle,
    status,
    stored_events,
    wait_until,
)


def _leads(n: int, tag: str) -> list[dict[str, str]]:
    return [{"name": f"{tag} {i}", "status": "1", "source": "1", "assigned": "1"} for i in range(n)]


async def _poll_calls(control: Control) -> int:
    return sum(1 for c in await control.calls() if "/zapier/poll/" in str(c.get("path")))


async def test_down_for_a_minute_loses_nothing(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Perfex down while 30 records are created: after it returns, 30 events, none twice."""
    service = PollerService(make_settings(control.url, redis_url), redis, timing=FAST)
    async with running(service):
        await settle(redis, "leads")
        before = await cursor.get_cursor(redis, "leads")
        await control.fault({"route": "/api/*", "mode": "down"})
        for minute_part in range(6):
            await control.advance(10)
            await control.create("leads", _leads(5, f"during {minute_part}"))
        await wait_until(lambda: _state_is(redis, "backoff"), what="backoff while down")
        assert await cursor.get_cursor(redis, "leads") == before
        await control.clear_faults()
        await wait_until(lambda: _count_is(redis, 30), what="30 events after recovery")
        await settle(redis, "leads")
    events = await stored_events(redis)
    assert len(events) == 30
    assert len({e["id"] for e in events}) == 30
    assert await cursor.get_cursor(redis, "leads") == T0 + 60
    assert (await status(redis, "leads"))["state"] == "ok"


async def _state_is(redis: Redis, state: str) -> bool:
    return (await status(redis, "leads")).get("state") == state


async def _count_is(redis: Redis, n: int) -> bool:
    return len(await stored_events(redis)) >= n


async def test_rate_limit_and_5xx_are_retried(
    control: Control, redis: Redis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """429 (with Retry-After) and 500s are waited out; the records still fire once."""
    service = PollerService(make_settings(control.url, redis_url), redis, timing=FAST)
    async with running(service):
        await settle(redis, "leads")
        await control.fault(
            {"route": "/api/zapier/*", "mode": "rate_limit", "count": 1, "retry_after": 1}
        )
        await control.fault({"route": "/api/zapier/*", "mode": "error", "count": 2})
        await control.advance(5)
        await control.create("leads", _leads(3, "limited"))
        await wait_until(lambda: _count_is(redis, 3), what="3 events after the faults")
        await settle(redis, "leads")
    assert len(await stored_events(redis)) == 3
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "rate limited" in messages
    assert "server error" in messages


async def test_401_stops_polling_loudly(
    control: Control, redis: Redis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused token: state unauthorized, an ERROR naming the setting, no more polls."""
    settings = make_settings(control.url, redis_url, perfex_token="not-the-token")
    service = PollerService(settings, redis, timing=FAST)
    async with running(service):
        await wait_until(lambda: _state_is(redis, "unauthorized"), what="state unauthorized")
        polls = await _poll_calls(control)
        await settle_time(1.0)
        assert await _poll_calls(control) == polls
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("BRIDGE_PERFEX_TOKEN" in r.getMessage() for r in errors)
    assert "Invalid Token" in (await status(redis, "leads"))["last_error"]
    assert not any("not-the-token" in r.getMessage() for r in caplog.records)


async def settle_time(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


class _Garbage:
    """Answers the first `times` poll requests with a truncated, non-JSON body."""

    def __init__(self, app: ASGIApp, times: int) -> None:
        self.app = app
        self.times = times

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "/zapier/poll/" in scope["path"] and self.times > 0:
            self.times -= 1
            body = b'{"status":true,"data":[{"id":"1","name":"<b>Fatal error</b> in'
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


async def test_malformed_json_is_logged_and_retried(
    serve: Callable[..., AbstractContextManager[str]],
    redis: Redis,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A body that is not JSON is logged with its start, then the poll is tried again."""
    app = _Garbage(create_app(token=TOKEN, control_token=CONTROL), times=3)
    with serve(app) as url:
        async with httpx.AsyncClient(timeout=10) as http:
            control = Control(url, http)
            await control.freeze(T0)
            await control.create("leads", _leads(2, "early"))
            service = PollerService(make_settings(url, redis_url), redis, timing=FAST, backfill=300)
            async with running(service):
                await wait_until(lambda: _count_is(redis, 2), what="events after the garbage")
    malformed = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert malformed
    assert "Fatal error" in malformed[0].getMessage()
    assert len(await stored_events(redis)) == 2
