"""The overview's numbers: events and run outcomes in the last hour and day, per-hour
buckets for the throughput chart, and the pollers."""

from __future__ import annotations

import logging
import time
from typing import Any

from redis.asyncio import Redis

from bridge.admin.events_query import count_between, times_between
from bridge.admin.pollers import poller_statuses
from bridge.admin.runs_query import failure_times, outcome_counts

logger = logging.getLogger("bridge.admin.overview")

HOUR = 3600.0
DAY = 24 * HOUR


async def summary(redis: Redis, now: float | None = None) -> dict[str, Any]:
    """Counts for the last hour and day, the chart's buckets and the pollers' status."""
    now = time.time() if now is None else now
    out: dict[str, Any] = {"time": now}
    for label, span in (("hour", HOUR), ("day", DAY)):
        counts = await outcome_counts(redis, now - span)
        out[label] = {"events": await count_between(redis, now - span), **counts}
    out["chart"] = {
        "events": bucket(await times_between(redis, now - DAY), now),
        "failures": bucket(await failure_times(redis, now - DAY), now),
    }
    out["pollers"] = await poller_statuses(redis)
    return out


def bucket(times: list[float], now: float, buckets: int = 24, span: float = DAY) -> list[int]:
    """Counts per slot of `span / buckets` seconds, oldest first, the last ending at now."""
    width = span / buckets
    counts = [0] * buckets
    start = now - span
    for stamp in times:
        slot = int((stamp - start) // width)
        if 0 <= slot < buckets:
            counts[slot] += 1
    return counts
