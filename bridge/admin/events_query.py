"""Listing stored events newest first, with filters and cursor paging.

Events live at bridge:event:<id> and are indexed by time in bridge:events:by-time (see
`bridge.events`). Type and source filters are applied to loaded events, so one page may
scan several batches of the index; a scan stops after `SCAN_CAP` ids and hands back a
cursor, so a rare filter never makes one request slow.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bridge import constants
from bridge.admin.paging import encode_cursor, parse_time

logger = logging.getLogger("bridge.admin.events_query")

BATCH = 200
SCAN_CAP = 5000


@dataclass(slots=True)
class EventFilter:
    """What to list: a type (exact or glob), a source, and a time range in unix seconds."""

    type: str | None = None
    source: str | None = None
    since: float | None = None
    until: float | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> EventFilter:
        """The filter a request's query string asks for (`type`, `source`, `since`, `until`)."""
        return cls(
            type=query.get("type") or None,
            source=query.get("source") or None,
            since=parse_time("since", query.get("since")),
            until=parse_time("until", query.get("until")),
        )

    def accepts(self, event: dict[str, Any]) -> bool:
        """Whether a loaded event passes the type and source filters."""
        if self.source and event.get("source") != self.source:
            return False
        if self.type:
            kind = str(event.get("type", ""))
            if any(c in self.type for c in "*?["):
                return fnmatch.fnmatchcase(kind, self.type)
            return kind == self.type
        return True


async def list_events(
    redis: Redis,
    flt: EventFilter,
    limit: int,
    cursor: tuple[float, str] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of events (newest first, each with `stored_at`) and the next page's cursor."""
    high: float | str = flt.until if flt.until is not None else "+inf"
    low: float | str = flt.since if flt.since is not None else "-inf"
    after = cursor
    if cursor is not None:
        high = cursor[0] if flt.until is None else min(cursor[0], flt.until)
    found: list[dict[str, Any]] = []
    scanned = 0
    last: tuple[float, str] | None = None
    while len(found) < limit and scanned < SCAN_CAP:
        rows = await redis.zrevrangebyscore(
            constants.EVENTS_BY_TIME, high, low, start=0, num=BATCH + 1, withscores=True
        )
        rows = [(_text(m), float(s)) for m, s in rows]
        if after is not None:
            rows = [(m, s) for m, s in rows if s < after[0] or (s == after[0] and m < after[1])]
        if not rows:
            return found, None
        rows = rows[:BATCH]
        raws = await redis.mget([constants.EVENT_KEY + m for m, _ in rows])
        for (member, score), raw in zip(rows, raws, strict=True):
            scanned += 1
            last = (score, member)
            if raw is None:
                continue
            event = json.loads(raw)
            if flt.accepts(event):
                event["stored_at"] = score
                found.append(event)
                if len(found) == limit:
                    break
        after = last
        high = last[0] if last else high
    if last is None:
        return found, None
    return found, encode_cursor(*last)


async def count_between(redis: Redis, since: float, until: float | str = "+inf") -> int:
    """How many events were stored in [since, until]."""
    return int(await redis.zcount(constants.EVENTS_BY_TIME, since, until))


async def times_between(redis: Redis, since: float) -> list[float]:
    """The store times of every event since `since` (for the overview's chart)."""
    rows = await redis.zrangebyscore(constants.EVENTS_BY_TIME, since, "+inf", withscores=True)
    return [float(score) for _, score in rows]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
