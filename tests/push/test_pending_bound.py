"""The pending-push hash stays bounded: entries age out after the event store's retention."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from redis.asyncio import Redis

from bridge import constants
from bridge.perfex.client import PerfexClient
from bridge.poller import keys, state
from bridge.poller.reconcile import reconcile
from tests.poller.conftest import Control
from tests.push.conftest import delivery, duplicates, events, make_job, push

LEAD = {"name": "Ada", "status": "1", "source": "1", "assigned": "1"}
PENDING = keys.PENDING + "leads"
PENDING_AT = keys.PENDING_AT + "leads"
StartWeb = Callable[..., AbstractContextManager[str]]


async def _rids(redis: Redis) -> set[str]:
    return {k.decode() for k in await redis.hkeys(PENDING)}  # type: ignore[misc]


async def test_flood_of_distinct_pushes_is_pruned_once_past_the_retention(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """40 pushed, never polled records: a write after the retention drops all 40 entries."""
    created = await control.create("leads", [{**LEAD, "name": f"L{i}"} for i in range(42)])
    rids = [str(lead["id"]) for lead in created]
    flood, later = rids[:40], rids[40:]
    settings = {"retention_days": 3.5 / 86400, "perfex_rate": 1000, "perfex_concurrency": 8}
    with start_web(**settings) as url:  # retention: 3 s
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            answers = await asyncio.gather(
                *(push(web, delivery("lead_created", rid)) for rid in flood)
            )
            flooded = time.monotonic()
            assert [a.status_code for a in answers] == [202] * 40
            assert await _rids(redis) == set(flood)
            assert await redis.zcard(PENDING_AT) == 40
            assert 0 < await redis.pttl(PENDING) <= 3000
            await asyncio.sleep(1.0)
            assert (await push(web, delivery("lead_created", later[0]))).status_code == 202
            assert set(flood) <= await _rids(redis)  # inside the horizon: nothing pruned
            await asyncio.sleep(max(0.0, flooded + 3.3 - time.monotonic()))
            # The store has forgotten the flood's events: their entries can promise nothing.
            assert not await redis.exists(constants.EVENT_KEY + f"perfex:leads:{flood[0]}:created")
            assert (await push(web, delivery("lead_created", later[1]))).status_code == 202
    remaining = await _rids(redis)
    assert not remaining & set(flood)
    assert later[1] in remaining
    assert await redis.zcard(PENDING_AT) == len(remaining)


async def test_pending_hash_expires_a_horizon_after_its_last_write(redis: Redis) -> None:
    """With no further pushes, the hash and its index expire by themselves."""
    for rid in ("1", "2", "3"):
        await state.set_pending(redis, "leads", rid, state.Pending(f"e{rid}", "{}"), horizon=0.5)
    assert 0 < await redis.pttl(PENDING) <= 500
    assert 0 < await redis.pttl(PENDING_AT) <= 500
    pending = await state.get_pending(redis, "leads", "2")
    assert pending is not None and pending.event_id == "e2"
    await asyncio.sleep(0.7)
    assert not await redis.exists(PENDING, PENDING_AT)


async def test_prune_is_bounded_per_write_and_drains(redis: Redis) -> None:
    """600 stale entries: each write removes at most PRUNE_BATCH, so a few writes drain them."""
    await redis.hset(PENDING, mapping={str(i): "{}" for i in range(600)})  # type: ignore[misc]
    await redis.zadd(PENDING_AT, {str(i): 1000 for i in range(600)})  # written long ago
    pruned = await state.set_pending(redis, "leads", "a", state.Pending("ea", None), 60)
    assert pruned == state.PRUNE_BATCH
    assert await redis.hlen(PENDING) == 600 - state.PRUNE_BATCH + 1  # type: ignore[misc]
    for rid in ("b", "c"):
        await state.set_pending(redis, "leads", rid, state.Pending("e" + rid, None), 60)
    assert await _rids(redis) == {"a", "b", "c"}
    assert await redis.zcard(PENDING_AT) == 3


async def test_entries_written_before_the_index_age_out_too(redis: Redis) -> None:
    """A hash left by an older bridge (no index) is indexed on the next write, then pruned."""
    old = {"7": json.dumps({"id": "e7", "state": "{}"}), "8": json.dumps({"id": "e8"})}
    await redis.hset(PENDING, mapping=old)  # type: ignore[misc]
    await state.set_pending(redis, "leads", "9", state.Pending("e9", "{}"), horizon=0.5)
    assert await redis.zcard(PENDING_AT) == 3
    assert (await state.get_pending(redis, "leads", "7")) == state.Pending("e7", "{}")
    await asyncio.sleep(0.3)
    await state.set_pending(redis, "leads", "10", state.Pending("e10", "{}"), horizon=0.5)
    await asyncio.sleep(0.3)
    await state.set_pending(redis, "leads", "11", state.Pending("e11", "{}"), horizon=0.5)
    assert await _rids(redis) == {"10", "11"}


async def test_chained_pushes_ahead_of_the_poll_stay_one_event_per_change(
    control: Control, redis: Redis, web: httpx.AsyncClient, perfex_client: PerfexClient
) -> None:
    """Two updates pushed before a reconcile: the poll fires nothing and takes the entry."""
    [lead] = await control.create("leads", [LEAD])
    rid = str(lead["id"])
    job = make_job(redis, perfex_client, "leads")
    await reconcile(job)  # baseline
    await control.update("leads", rid, {"status": "2"})
    first = await push(web, delivery("lead_updated", rid))
    await control.update("leads", rid, {"status": "3"})
    second = await push(web, delivery("lead_updated", rid))
    assert first.status_code == 202 and second.status_code == 202
    assert await redis.zcard(PENDING_AT) == 1
    assert await reconcile(job) == 0  # the entry gives the poll the second push's id
    assert await duplicates(redis, "poll") == 1
    assert [e["id"] for e in await events(redis)] == [
        first.json()["event_id"],
        second.json()["event_id"],
    ]
    assert not await redis.exists(PENDING, PENDING_AT)  # taken: hash and index both
