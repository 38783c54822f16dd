"""A rule's `schedule:`: `{cron: "0 9 * * 1", timezone: Europe/Athens}` or `{every: 5m}`.

Cron expressions (five fields) are parsed and walked by `cronsim` (DST aware), never by
hand; timezones come from `zoneinfo` (default UTC). `every` ticks are
aligned to the Unix epoch (`every: 1d` ticks at 00:00 UTC, `every: 5m` at :00, :05, ...),
so every replica computes the same ticks without talking to the others.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

logger = logging.getLogger("bridge.scheduler.spec")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The shortest `every:` (one tick a second would be a busy loop, not a schedule).
MIN_EVERY = 1
#: The longest `every:`: a year.
MAX_EVERY = 366 * 86400
_KEYS = ("cron", "every", "timezone")


class ScheduleError(ValueError):
    """A `schedule:` that cannot be used; the message says why (for `file:line`)."""


def parse_duration(text: Any) -> int:
    """`30s`, `5m`, `2h`, `1d` (a whole number and one unit) in seconds; ValueError if not."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 2h or 1d")
    found = _DURATION.match(str(text)) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 2h or 1d")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a rule ticks; `latest(now)` and `following(now)` are its tick times (UTC)."""

    cron: str | None = None
    every: int | None = None
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        """`cron 0 9 * * 1 (Europe/Athens)` or `every 300 s`, for pages and logs."""
        if self.cron is not None:
            return f"cron {self.cron} ({self.timezone})"
        return f"every {self.every} s"

    def latest(self, now: datetime) -> datetime:
        """The most recent tick at or before `now` (aware, UTC)."""
        if self.every is not None:
            stamp = math.floor(now.timestamp() / self.every) * self.every
            return datetime.fromtimestamp(stamp, UTC)
        assert self.cron is not None
        # cronsim's reverse walk starts strictly before its datetime: one second on, so a
        # `now` that is itself a tick counts.
        local = now.astimezone(self.zone).replace(microsecond=0) + timedelta(seconds=1)
        return next(CronSim(self.cron, local, reverse=True)).astimezone(UTC)

    def following(self, now: datetime) -> datetime:
        """The first tick strictly after `now` (aware, UTC)."""
        if self.every is not None:
            stamp = (math.floor(now.timestamp() / self.every) + 1) * self.every
            return datetime.fromtimestamp(stamp, UTC)
        assert self.cron is not None
        local = now.astimezone(self.zone).replace(microsecond=0)
        tick = next(CronSim(self.cron, local))
        if tick <= local:  # cronsim may answer `local` itself when it is a tick
            tick = next(CronSim(self.cron, local + timedelta(seconds=1)))
        return tick.astimezone(UTC)


def parse_schedule(raw: Any) -> Schedule:
    """A `schedule:` mapping as written in a rule; ScheduleError says what is wrong."""
    if not isinstance(raw, dict):
        raise ScheduleError(
            "schedule: must be a mapping: {cron: '0 9 * * 1', timezone: ...} or {every: 5m}"
        )
    unknown = [str(k) for k in raw if k not in _KEYS]
    if unknown:
        raise ScheduleError(f"schedule: unknown key {unknown[0]!r} (cron, every, timezone)")
    cron, every, zone = raw.get("cron"), raw.get("every"), raw.get("timezone", "UTC")
    if (cron is None) == (every is None):
        raise ScheduleError("schedule: give exactly one of cron or every")
    if not isinstance(zone, str) or not zone:
        raise ScheduleError("schedule: timezone must be a name like Europe/Athens")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"schedule: unknown timezone {zone!r}") from None
    if every is not None:
        if "timezone" in raw:
            raise ScheduleError("schedule: timezone applies to cron only (every is in seconds)")
        try:
            seconds = parse_duration(every)
        except ValueError as exc:
            raise ScheduleError(f"schedule: every: {exc}") from None
        if not MIN_EVERY <= seconds <= MAX_EVERY:
            raise ScheduleError("schedule: every must be between 1s and 366d")
        return Schedule(every=seconds)
    if not isinstance(cron, str) or not cron.strip():
        raise ScheduleError("schedule: cron must be a string like '0 9 * * 1'")
    text = " ".join(cron.split())
    if len(text.split()) != 5:
        raise ScheduleError(
            f"schedule: bad cron {cron!r}: give five fields (minute hour day month weekday)"
        )
    try:
        next(CronSim(text, datetime.now(ZoneInfo(zone))))
    except (CronSimError, StopIteration, ValueError) as exc:
        raise ScheduleError(f"schedule: bad cron {cron!r}: {exc}") from None
    return Schedule(cron=text, timezone=zone)
