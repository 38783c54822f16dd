"""Schedules: tick times (cron in a timezone, every), one event per tick, downtime catch-up."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from bridge import constants
from bridge.events import EventStore
from bridge.scheduler import keys
from bridge.scheduler.service import Scheduler, next_runs
from bridge.scheduler.spec import Schedule, parse_schedule
from tests.executor.helpers import rules_from

RULES = """
rules:
  - name: tick
    on: schedule
    schedule: {every: 1m}
    do:
      - webhook: {url: "https://x.example/tick", body: {at: "{{ event.data.scheduled_for }}"}}
"""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_cron_ticks_in_its_timezone_across_dst() -> None:
    """09:00 Athens is 07:00 UTC in winter and 06:00 UTC in summer; latest <= now < next."""
    athens = parse_schedule({"cron": "0 9 * * *", "timezone": "Europe/Athens"})
    winter = _at("2026-12-03T10:00:00")
    assert athens.latest(winter) == _at("2026-12-03T07:00:00")
    assert athens.following(winter) == _at("2026-12-04T07:00:00")
    summer = _at("2026-07-01T05:00:00")
    assert athens.latest(summer) == _at("2026-06-30T06:00:00")
    assert athens.following(summer) == _at("2026-07-01T06:00:00")
    on_tick = _at("2026-12-03T07:00:00")
    assert athens.latest(on_tick) == on_tick
    assert athens.following(on_tick) == _at("2026-12-04T07:00:00")


def test_every_is_aligned_to_the_epoch() -> None:
    """`every: 5m` ticks at :00, :05, ... so every replica computes the same ticks."""
    five = parse_schedule({"every": "5m"})
    assert five == Schedule(every=300)
    now = _at("2026-12-03T10:07:31")
    assert five.latest(now) == _at("2026-12-03T10:05:00")
    assert five.following(now) == _at("2026-12-03T10:10:00")


async def _events(redis: Redis) -> list[dict[str, object]]:
    ids = [i.decode() for i in await redis.zrange(constants.EVENTS_BY_TIME, 0, -1)]
    raws = [await redis.get(constants.EVENT_KEY + i) for i in ids]
    return [json.loads(raw) for raw in raws if raw]


async def test_first_sight_remembers_then_each_tick_fires_once(redis: Redis) -> None:
    """A new rule fires nothing at once; the next tick fires one event; a repeat fires none."""
    scheduler = Scheduler(redis, rules_from(RULES), EventStore(redis))
    t0 = _at("2026-12-03T10:00:30")
    assert await scheduler.tick(t0) == []
    assert await scheduler.tick(t0 + timedelta(seconds=20)) == []
    fired = await scheduler.tick(t0 + timedelta(seconds=40))
    assert fired == ["schedule.tick:2026-12-03T10:01:00Z"]
    assert await scheduler.tick(t0 + timedelta(seconds=50)) == []
    (event,) = await _events(redis)
    assert event["type"] == "schedule.tick"
    assert event["data"] == {"scheduled_for": "2026-12-03T10:01:00Z", "rule": "tick"}


async def test_replicas_fire_one_event_per_tick(redis_url: str, redis: Redis) -> None:
    """Two schedulers on separate connections ticking together store each tick once."""
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    try:
        rules = rules_from(RULES)
        replicas = [Scheduler(c, rules, EventStore(c)) for c in clients]
        start = _at("2026-12-03T10:00:30")
        await asyncio.gather(*(r.tick(start) for r in replicas))
        fired: list[str] = []
        for minute in range(1, 6):
            now = start + timedelta(minutes=minute)
            results = await asyncio.gather(*(r.tick(now) for r in replicas))
            fired += [i for result in results for i in result]
        events = await _events(redis)
    finally:
        for client in clients:
            await client.aclose()
    assert len(fired) == 5
    assert sorted(str(e["id"]) for e in events) == sorted(fired)
    assert len({e["id"] for e in events}) == 5


async def test_downtime_fires_only_the_latest_missed_tick_once(
    redis_url: str, redis: Redis
) -> None:
    """After 3 h of downtime a restarted scheduler fires the latest tick once, not 180."""
    rules = rules_from(RULES)
    before = Redis.from_url(redis_url)
    t0 = _at("2026-12-03T10:00:30")
    await Scheduler(before, rules, EventStore(before)).tick(t0)
    await Scheduler(before, rules, EventStore(before)).tick(t0 + timedelta(minutes=1))
    await before.aclose()
    after = Redis.from_url(redis_url)  # a fresh process: only Redis remembers
    try:
        restarted = Scheduler(after, rules, EventStore(after))
        back = t0 + timedelta(hours=3)
        first = await restarted.tick(back)
        again = await Scheduler(after, rules, EventStore(after)).tick(back + timedelta(seconds=5))
        mark = int(await after.get(keys.LAST_TICK + "tick"))
        ttl = await after.ttl(keys.LAST_TICK + "tick")
        count = await after.zcard(constants.EVENTS_BY_TIME)
    finally:
        await after.aclose()
    assert first == ["schedule.tick:2026-12-03T13:00:00Z"]
    assert again == []
    assert mark == int(_at("2026-12-03T13:00:00").timestamp())
    assert 0 < ttl <= keys.LAST_TICK_TTL
    assert count == 2  # 10:01 before the downtime, 13:00 after it


async def test_a_late_replica_cannot_fire_an_older_tick_twice(redis: Redis) -> None:
    """A replica whose clock lags behind the mark fires nothing (the mark only goes up)."""
    rules = rules_from(RULES)
    ahead = Scheduler(redis, rules, EventStore(redis))
    t0 = _at("2026-12-03T10:00:30")
    await ahead.tick(t0)
    assert await ahead.tick(t0 + timedelta(minutes=2)) == ["schedule.tick:2026-12-03T10:02:00Z"]
    behind = Scheduler(redis, rules, EventStore(redis))
    assert await behind.tick(t0 + timedelta(minutes=1)) == []
    assert int(await redis.get(keys.LAST_TICK + "tick")) == int(
        _at("2026-12-03T10:02:00").timestamp()
    )


def test_next_runs_lists_schedule_rules_only() -> None:
    """next_runs gives each schedule rule's next tick, and nothing for event rules."""
    text = RULES + (
        "  - name: plain\n    on: perfex.leads.created\n    do:\n"
        '      - webhook: {url: "https://x.example/p"}\n'
    )
    rules = rules_from(text).current.rules
    assert next_runs(rules, _at("2026-12-03T10:00:30")) == {"tick": "2026-12-03T10:01:00Z"}


async def test_a_switched_off_schedule_rule_fires_nothing_and_has_no_next_run(
    redis: Redis,
) -> None:
    """`enabled: false` on a schedule rule: no tick events are stored (they would only fill
    the event store) and the rules page shows no next run."""
    off = RULES.replace("    on: schedule\n", "    on: schedule\n    enabled: false\n")
    scheduler = Scheduler(redis, rules_from(off), EventStore(redis))
    t0 = _at("2026-12-03T10:00:30")
    for seconds in (0, 40, 100):
        assert await scheduler.tick(t0 + timedelta(seconds=seconds)) == []
    assert await _events(redis) == []
    assert next_runs(rules_from(off).current.rules, t0) == {}
