"""What an accepted webhook costs: one Redis round trip, no INFO line of its own."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.web import signing


def _body(number: int) -> bytes:
    return json.dumps({"action": "opened", "issue": {"number": number}}).encode()


async def _commands_during(redis_url: str, db: int, send: Any) -> list[str]:
    """The commands clients sent on database `db` while `send()` ran (none from scripts)."""
    seen: list[str] = []
    monitor_client = Redis.from_url(redis_url)
    try:
        async with monitor_client.monitor() as monitor:  # MONITOR is on once entered

            async def collect() -> None:
                async for command in monitor.listen():
                    if command["client_type"] != "lua" and command["db"] == db:
                        seen.append(command["command"].split()[0].upper())

            task = asyncio.create_task(collect())
            await send()
            await asyncio.sleep(0.3)
            task.cancel()
    finally:
        await monitor_client.aclose()
    return seen


async def test_an_accepted_github_webhook_is_one_round_trip(
    client: httpx.AsyncClient, redis: Redis, redis_url: str
) -> None:
    """Replay claim, event key, time index and router stream: one EVALSHA, nothing else;
    the sender's retry of it (same delivery id) is one round trip too."""
    warm = _body(0)  # the app's first call opens its connection and loads the script
    headers = signing.github(warm, delivery="w")
    assert (await client.post("/hooks/github", content=warm, headers=headers)).status_code == 202
    db = int(redis.connection_pool.connection_kwargs.get("db", 0))
    body = _body(1)

    async def send() -> None:
        first = await client.post("/hooks/github", content=body, headers=signing.github(body))
        assert first.status_code == 202, first.text
        retry = await client.post("/hooks/github", content=body, headers=signing.github(body))
        assert retry.status_code == 200 and retry.json()["duplicate"] is True

    assert await _commands_during(redis_url, db, send) == ["EVALSHA", "EVALSHA"]


async def test_an_accepted_webhook_logs_at_debug_only(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Storing a webhook writes its id and type at DEBUG, nothing at INFO (uvicorn's
    access log has the request); a duplicate still says so at INFO."""
    caplog.set_level(logging.DEBUG, logger="bridge.web.hooks")
    body = _body(2)
    headers = signing.github(body)
    assert (await client.post("/hooks/github", content=body, headers=headers)).status_code == 202
    ours = [r for r in caplog.records if r.name == "bridge.web.hooks"]
    assert [r.levelno for r in ours] == [logging.DEBUG]
    assert "stored webhook:github:d-1 as webhook.github.issues" in ours[0].getMessage()
    caplog.clear()
    assert (await client.post("/hooks/github", content=body, headers=headers)).status_code == 200
    again = [r for r in caplog.records if r.name == "bridge.web.hooks"]
    assert [r.levelno for r in again] == [logging.INFO]
