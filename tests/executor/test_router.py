"""The router: one run per (event, rule), acks after enqueue, takes over a dead router's work."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bridge import constants
from bridge.constants import QUEUE_NAME
from bridge.executor import keys
from bridge.executor.history import RunStore
from bridge.executor.router import Router, replay_event
from tests.executor.helpers import FixedRules, rules_from, store_event

RULES = """
rules:
  - name: a
    on: perfex.leads.created
    do: [{webhook: {url: "http://127.0.0.1:9/a"}}]
  - name: b
    on: perfex.leads.*
    if: event.data.n > 1
    do: [{webhook: {url: "http://127.0.0.1:9/b"}}]
"""


def _router(redis: Redis, rules: FixedRules, **kw: object) -> Router:
    return Router(redis, rules, RunStore(redis, 3600), block_ms=10, **kw)  # type: ignore[arg-type]


async def _queued(redis: Redis) -> list[str]:
    return sorted(i.decode() for i in await redis.zrange(QUEUE_NAME, 0, -1))


async def test_each_matching_rule_gets_one_job_and_entries_are_acked(redis: Redis) -> None:
    """Rules are matched (with `if:`), one job each; the stream is acked and trimmed."""
    router = _router(redis, rules_from(RULES))
    await router.ensure_group()
    await store_event(redis, "x1", n=1)
    await store_event(redis, "x2", n=2)
    await store_event(redis, "x3", "perfex.tasks.created", n=5)
    while await router.step():
        pass
    assert await _queued(redis) == ["run:x1:a:0", "run:x2:a:0", "run:x2:b:0"]
    assert await redis.xlen(constants.EVENT_STREAM) == 0
    pending = await redis.xpending(constants.EVENT_STREAM, keys.ROUTER_GROUP)
    assert pending["pending"] == 0
    assert int(await redis.hget(constants.STATS, "events_routed") or 0) == 3  # type: ignore[misc]


async def test_a_duplicate_entry_creates_no_second_run(redis: Redis) -> None:
    """The same event id on the stream twice (a re-delivery) is one run and one job."""
    router = _router(redis, rules_from(RULES))
    await router.ensure_group()
    await store_event(redis, "d1", n=1)
    await router.step()
    await redis.zrem(QUEUE_NAME, "run:d1:a:0")  # the job ran and finished
    await redis.xadd(constants.EVENT_STREAM, {"id": "d1"})
    await router.step()
    assert await _queued(redis) == []
    assert int(await redis.hget(constants.STATS, "runs_created") or 0) == 1  # type: ignore[misc]


async def test_entries_left_by_a_dead_router_are_claimed(redis: Redis) -> None:
    """Entries read but never acked by a router that died are taken over after idling."""
    dead = _router(redis, rules_from(RULES), consumer="dead")
    await dead.ensure_group()
    await store_event(redis, "c1", n=1)
    await redis.xreadgroup(keys.ROUTER_GROUP, "dead", {constants.EVENT_STREAM: ">"}, count=10)
    alive = _router(redis, rules_from(RULES), consumer="alive", claim_idle=1.0)
    assert await alive.claim_stale() == 0  # too fresh to claim
    await asyncio.sleep(1.1)
    assert await alive.claim_stale() == 1
    assert await _queued(redis) == ["run:c1:a:0"]


async def test_own_pending_entries_are_routed_first_after_a_restart(redis: Redis) -> None:
    """A router restarted under the same name re-reads what it had not acknowledged."""
    first = _router(redis, rules_from(RULES), consumer="same")
    await first.ensure_group()
    await store_event(redis, "o1", n=1)
    await redis.xreadgroup(keys.ROUTER_GROUP, "same", {constants.EVENT_STREAM: ">"}, count=10)
    again = _router(redis, rules_from(RULES), consumer="same")
    assert await again.step() == 1
    assert await _queued(redis) == ["run:o1:a:0"]


async def test_unknown_event_ids_are_acked_and_skipped(redis: Redis) -> None:
    """A stream entry whose event expired is acknowledged, not retried forever."""
    router = _router(redis, rules_from(RULES))
    await router.ensure_group()
    await redis.xadd(constants.EVENT_STREAM, {"id": "gone"})
    assert await router.step() == 1
    assert await _queued(redis) == [] and await redis.xlen(constants.EVENT_STREAM) == 0


async def test_replay_creates_new_runs_with_a_suffix(redis: Redis) -> None:
    """Replaying an event makes fresh runs `<event>:<rule>:replay-<n>`, n counting up."""
    store = RunStore(redis, 3600)
    event = await store_event(redis, "r1", n=2)
    rules = rules_from(RULES)
    assert await replay_event(redis, rules, store, event) == ["r1:a:replay-1", "r1:b:replay-1"]
    assert await replay_event(redis, rules, store, event) == ["r1:a:replay-2", "r1:b:replay-2"]
    assert "run:r1:a:replay-2:0" in await _queued(redis)
