"""Runs for the admin views: the executor's run history plus a time-range filter.

`bridge.executor.history.list_runs` pages by offset and filters by status, rule and
event type; this adds `since`/`until` (on the run's creation time) by reading further
pages, asking each time for just what is missing so the returned cursor is exact.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis

from bridge.admin.paging import BadQuery
from bridge.executor import history, keys
from bridge.executor.records import RunStatus

logger = logging.getLogger("bridge.admin.runs_query")

#: Runs read at most per request when a time filter rejects many.
SCAN_CAP = 5000
STATUSES = [status.value for status in RunStatus]


async def query_runs(
    redis: Redis,
    *,
    status: str | None = None,
    rule: str | None = None,
    event_type: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 50,
    cursor: int = 0,
) -> tuple[list[dict[str, Any]], int | None, int]:
    """(runs newest first, next cursor or None, size of the index read)."""
    if status is not None and status not in STATUSES:
        raise BadQuery(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
    found: list[dict[str, Any]] = []
    scanned = 0
    next_cursor: int | None = cursor
    total = 0
    while next_cursor is not None and len(found) < limit and scanned < SCAN_CAP:
        want = limit - len(found) if since is None and until is None else 100
        page = await history.list_runs(
            redis, status=status, rule=rule, event_type=event_type, limit=want, cursor=next_cursor
        )
        total = page.total
        scanned += want
        if since is None and until is None:
            found.extend(page.runs)
            next_cursor = page.next_cursor
            continue
        for position, run in enumerate(page.runs):
            created = float(run.get("created") or 0)
            if (since is None or created >= since) and (until is None or created <= until):
                found.append(run)
                if len(found) == limit:
                    # Resume right after this run: re-read the rest of the page next time.
                    rest = len(page.runs) - position - 1
                    base = page.next_cursor if page.next_cursor is not None else total
                    next_cursor = base - rest if rest else page.next_cursor
                    return found, next_cursor, total
        next_cursor = page.next_cursor
    return found, next_cursor, total


async def get_run(redis: Redis, run_id: str) -> dict[str, Any] | None:
    """The run with every attempt, or None."""
    return await history.get_run(redis, run_id)


async def runs_of_event(redis: Redis, event_id: str) -> list[dict[str, Any]]:
    """The runs an event caused, newest first."""
    runs = await history.runs_for_event(redis, event_id)
    return sorted(runs, key=lambda run: float(run.get("created") or 0), reverse=True)


async def outcome_counts(redis: Redis, since: float) -> dict[str, int]:
    """Runs that reached each status since `since` (status indexes score the last change)."""
    async with redis.pipeline(transaction=False) as pipe:
        for status in STATUSES:
            pipe.zcount(keys.RUNS_BY_STATUS + status, since, "+inf")
        counts = await pipe.execute()
    return {status: int(n) for status, n in zip(STATUSES, counts, strict=True)}


async def failure_times(redis: Redis, since: float) -> list[float]:
    """When runs failed or went dead since `since`, for the chart."""
    out: list[float] = []
    for status in ("failed", "dead"):
        rows = await redis.zrangebyscore(
            keys.RUNS_BY_STATUS + status, since, "+inf", withscores=True
        )
        out.extend(float(score) for _, score in rows)
    return out
