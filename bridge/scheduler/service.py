"""The scheduler loop: fire `schedule.<rule>` events, once per tick across replicas.

It runs in every worker process (so also in `bridge up`), beside the router: no extra
process to deploy, and any number of replicas. Coordination is through Redis only:

- a tick's event id is `schedule.<rule>:<tick>` (ISO UTC), and the event store keeps the
  first event of an id only, so replicas firing the same tick store one event;
- `bridge:schedule:last:<rule>` holds the last tick fired. A loop fires only the most
  recent tick at or before now, and only when it is later than that: after downtime
  (every replica stopped) the latest missed tick fires once and the earlier ones never.
  The event is stored before the mark advances, so a crash in between fires it again
  later under the same id, which the store drops: at most once, never lost.
- a rule seen for the first time (new rule, fresh Redis) only records its latest tick as
  the baseline: adding a daily rule at 15:00 does not fire that morning's tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge.events import Event, EventStore
from bridge.exceptions import StoreUnavailable
from bridge.rules.model import Rule
from bridge.scheduler import keys
from bridge.scheduler.spec import Schedule

logger = logging.getLogger("bridge.scheduler.service")

#: Longest sleep between two looks at the rules (a reload is seen within this).
MAX_SLEEP = 1.0

# Raise the mark to ARGV[1] unless it is already there or later; refresh the TTL.
_ADVANCE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 0
"""


def tick_id(rule: str, tick: datetime) -> str:
    """The event id of one tick of a rule."""
    return f"schedule.{rule}:{iso(tick)}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def schedule_of(rule: Rule) -> Schedule | None:
    """A rule's schedule, None for event-triggered rules."""
    schedule = getattr(rule, "schedule", None)
    return schedule if isinstance(schedule, Schedule) else None


def next_runs(rules: list[Rule], now: datetime | None = None) -> dict[str, str]:
    """The next tick (ISO UTC) of every schedule rule, for the rules page and /api/rules."""
    now = now or datetime.now(UTC)
    out: dict[str, str] = {}
    for rule in rules:
        schedule = schedule_of(rule)
        if schedule is not None and rule.enabled:  # a switched-off rule has no next run
            out[rule.name] = iso(schedule.following(now))
    return out


def add_schedules(data: dict[str, Any], ruleset: Any) -> None:
    """Add `schedule` and `next_run` to the schedule rules of a serialised ruleset."""
    rules = list(getattr(ruleset, "rules", []) or [])
    by_name = {rule.name: rule for rule in rules}
    upcoming = next_runs(rules)
    for item in data.get("rules", []):
        rule = by_name.get(item.get("name"))
        schedule = schedule_of(rule) if rule is not None else None
        if rule is not None and schedule is not None:
            item["schedule"] = schedule.describe()
            item["next_run"] = upcoming.get(rule.name)


class Scheduler:
    """Fires due ticks of the current rules; `run(stop)` loops until `stop` is set."""

    def __init__(self, redis: Redis, rules: object, events: EventStore) -> None:
        self.redis = redis
        self.rules = rules
        self.events = events
        self._advance = redis.register_script(_ADVANCE)

    def _schedules(self) -> list[tuple[Rule, Schedule]]:
        ruleset = getattr(self.rules, "current", None)
        found = []
        for rule in getattr(ruleset, "rules", []):
            schedule = schedule_of(rule)
            if schedule is not None and rule.enabled:  # switched off: its ticks match nothing
                found.append((rule, schedule))
        return found

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Fire every rule whose latest tick is newer than its mark; the event ids stored."""
        now = now or datetime.now(UTC)
        fired: list[str] = []
        for rule, schedule in self._schedules():
            try:
                fired += await self._fire(rule, schedule, now)
            except (ValueError, OverflowError):  # one odd schedule must not stop the others
                logger.exception("schedule %s: could not compute its tick", rule.name)
        return fired

    async def _fire(self, rule: Rule, schedule: Schedule, now: datetime) -> list[str]:
        """Fire this rule's latest tick if it is newer than its mark; the event id stored."""
        latest = schedule.latest(now)
        stamp = int(latest.timestamp())
        key = keys.LAST_TICK + rule.name
        mark = await self.redis.get(key)
        if mark is None:
            await self._advance(keys=[key], args=[stamp, keys.LAST_TICK_TTL])
            logger.info("schedule %s: first seen; ticks from %s on", rule.name, iso(latest))
            return []
        if stamp <= int(mark):
            return []
        event = Event(
            id=tick_id(rule.name, latest),
            type=f"schedule.{rule.name}",
            source="bridge",
            data={"scheduled_for": iso(latest), "rule": rule.name},
        )
        stored = await self.events.store(event)
        await self._advance(keys=[key], args=[stamp, keys.LAST_TICK_TTL])
        if stored:
            logger.info("schedule %s: tick %s fired", rule.name, iso(latest))
        return [event.id] if stored else []

    def _sleep_for(self, now: datetime) -> float:
        soonest = MAX_SLEEP
        for _, schedule in self._schedules():
            wait = (schedule.following(now) - now).total_seconds()
            soonest = min(soonest, max(wait, 0.0))
        return soonest + 0.005

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop`; Redis errors are logged and retried a second later."""
        while not stop.is_set():
            try:
                await self.tick()
            except (RedisError, OSError, StoreUnavailable) as exc:
                logger.warning("scheduler: Redis error (%s); retrying in 1 s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                continue
            except Exception:  # a bad rule must not stop the others' schedules
                logger.exception("scheduler: tick failed")
            delay = self._sleep_for(datetime.now(UTC))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
