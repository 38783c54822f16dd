"""Creations: every new record one `created` event, none twice, none lost."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.poller import keys
from bridge.poller.created import PollJob, poll_created
from bridge.poller.service import PollerService
from tests.poller.conftest import (
    FAST,
    T0,
    Control,
    make_settings,
    running,
    settle,
    status,
    stored_events,
    wait_until,
)


def _leads(n: int, tag: str = "lead") -> list[dict[str, str]]:
    return [{"name": f"{tag} {i}", "status": "1", "source": "1", "assigned": "1"} for i in range(n)]


async def _count(redis: Redis, prefix: str) -> int:
    return len(await stored_events(redis, prefix))


async def test_first_start_fires_nothing(control: Control, redis: Redis, redis_url: str) -> None:
    """Records that exist before the first poll are the baseline: no events for them."""
    await control.create("leads", _leads(5))
    service = PollerService(make_settings(control.url, redis_url), redis, timing=FAST)
    async with running(service):
        await settle(redis, "leads", polls=3)
    assert await stored_events(redis) == []
    assert (await status(redis, "leads"))["cursor"] == str(T0)


async def test_backfill_fires_the_window(control: Control, redis: Redis, redis_url: str) -> None:
    """With backfill, the first start fires for the records of that window only."""
    await control.freeze(T0 - 3600)
    await control.create("leads", _leads(2, "old"))
    await control.freeze(T0 - 60)
    recent = await control.create("leads", _leads(3, "recent"))
    await control.freeze(T0)
    service = PollerService(make_settings(control.url, redis_url), redis, timing=FAST, backfill=600)
    async with running(service):
        await wait_until(lambda: _has(redis, 3), what="3 backfilled events")
        await settle(redis, "leads")
    events = await stored_events(redis)
    assert sorted(e["data"]["id"] for e in events) == sorted(r["id"] for r in recent)


async def _has(redis: Redis, n: int, prefix: str = "perfex.") -> bool:
    return await _count(redis, prefix) >= n


async def test_120_leads_between_two_polls(control: Control, redis: Redis, redis_url: str) -> None:
    """More records than the default limit between two polls: all fire, once each."""
    service = PollerService(make_settings(control.url, redis_url), redis, timing=FAST)
    async with running(service):
        await settle(redis, "leads")
        await control.advance(30)
        await control.create("leads", _leads(120))
        await wait_until(lambda: _has(redis, 120), what="120 created events")
        await settle(redis, "leads")
    events = await stored_events(redis)
    assert len(events) == 120
    assert len({e["id"] for e in events}) == 120
    assert {e["type"] for e in events} == {"perfex.leads.created"}
    limits = {c.get("query", {}).get("limit") for c in await control.calls()}
    assert "500" in limits or 500 in limits


async def test_invoices_all_day_fire_once(control: Control, redis: Redis, redis_url: str) -> None:
    """Invoices return on every poll of their day; each still fires exactly once."""
    day_start = T0 - 10 * 3600  # 00:00 UTC
    await control.freeze(day_start + 10)
    settings = make_settings(control.url, redis_url, poll_resources=("invoices",))
    service = PollerService(settings, redis, timing=FAST)
    async with running(service):
        await settle(redis, "invoices")
        for hour in range(12):
            await control.advance(3600)
            await control.create(
                "invoices",
                [
                    {
                        "clientid": "1",
                        "number": f"{hour:02d}{i:03d}",
                        "date": "2026-11-24",
                        "currency": "1",
                        "subtotal": "10",
                        "total": "10",
                    }
                    for i in range(10)
                ],
            )
            await settle(redis, "invoices")
    events = await stored_events(redis)
    assert len(events) == 120
    assert len({e["id"] for e in events}) == 120
    assert await redis.zcard(keys.SEEN + "invoices") == 120


async def test_full_page_falls_back_to_the_list_endpoint(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Still full at the largest limit: the list endpoint supplies the missing records."""
    service = PollerService(
        make_settings(control.url, redis_url), redis, timing=FAST, limits=(2, 3)
    )
    async with running(service):
        await wait_until(lambda: _ready(redis), what="the reconcile baseline")
        await control.advance(30)
        await control.create("leads", _leads(7))
        await wait_until(lambda: _has(redis, 7), what="7 created events")
        await settle(redis, "leads")
    events = await stored_events(redis)
    assert len(events) == 7
    assert await redis.hget(constants.STATS, keys.STAT_GAPS) is None  # type: ignore[misc]


async def _ready(redis: Redis) -> bool:
    return bool(await redis.exists(keys.SNAPSHOT_READY + "leads"))


async def test_full_page_without_list_endpoint_records_a_gap(
    control: Control, redis: Redis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An older module without a tasks list: a page full at every limit records a gap."""
    await control.module(no_list=["tasks"])
    settings = make_settings(control.url, redis_url, poll_resources=("tasks",))
    service = PollerService(settings, redis, timing=FAST, limits=(2, 3))
    async with running(service):
        await settle(redis, "tasks")
        await control.advance(30)
        await control.create(
            "tasks", [{"name": f"t{i}", "startdate": "2026-11-24"} for i in range(5)]
        )
        await wait_until(lambda: _has(redis, 1, "bridge.poller.gap"), what="a gap event")
        await settle(redis, "tasks")
    gaps = await stored_events(redis, "bridge.poller.gap")
    assert gaps, "no gap recorded"
    assert all(g["data"]["resource"] == "tasks" and g["data"]["limit"] == 3 for g in gaps)
    assert await redis.hget(constants.STATS, keys.STAT_GAPS) == str(len(gaps)).encode()  # type: ignore[misc]
    assert await stored_events(redis, "perfex.") != []  # the newest ones did fire
    assert any(r.levelno == logging.ERROR and "gap" in r.getMessage() for r in caplog.records)


async def test_poll_is_idempotent_when_repeated(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """The same window polled again (overlap) stores nothing new."""
    from bridge.events import EventStore
    from bridge.perfex.client import PerfexClient
    from bridge.poller.source import PerfexSource

    async with PerfexClient(control.url + "/api", "poller-test-token") as client:
        job = PollJob(
            redis=redis, store=EventStore(redis), source=PerfexSource(client), resource="leads"
        )
        first = await poll_created(job)
        assert first.fired == 0 and first.cursor == T0
        await control.create("leads", _leads(4))
        second = await poll_created(job)
        third = await poll_created(job)
    assert (second.fired, third.fired) == (4, 0)
    assert len(await stored_events(redis)) == 4
