"""One poll for creations: `/api/zapier/poll/<resource>` from the cursor, minus an overlap.

The endpoint filters on the creation column only, inclusively, newest first, cut at
`limit`. So: dedupe by record id, treat a full page as "records may be missing" (ask
again with a larger limit, then fall back to the list endpoint, else record a gap), and
store every event before the cursor moves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event, EventStore
from bridge.poller import cursor as cursors
from bridge.poller import keys, state
from bridge.poller.source import PerfexSource, PollPage, has_list

logger = logging.getLogger("bridge.poller.created")

#: A `since` no record can reach (2038): a cheap way to read the server's clock.
PROBE_SINCE = 2**31 - 1
#: Page sizes asked in turn while the page comes back full.
DEFAULT_LIMITS = (50, 500, 5000)


@dataclass(slots=True)
class PollJob:
    """Everything one resource's polls need."""

    redis: Redis
    store: EventStore
    source: PerfexSource
    resource: str
    #: Seconds the window reaches back before the cursor (clock skew, late commits).
    overlap: float = 60.0
    limits: tuple[int, ...] = DEFAULT_LIMITS
    #: Seconds of records to fire for on the first start (None: baseline, fire nothing).
    backfill: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    #: False once the module answered 404 for this resource's list (an older module).
    list_ok: bool = True


@dataclass(slots=True)
class PollResult:
    fired: int
    cursor: int
    #: Server seconds between the previous cursor and this poll (how far behind it was).
    lag: float


def created_event(resource: str, record: dict[str, Any], rid: str) -> Event:
    """The deterministic `created` event of one record."""
    return Event(
        id=f"perfex:{resource}:{rid}:created",
        type=f"perfex.{resource}.created",
        source="perfex",
        data=record,
    )


async def _fetch_window(job: PollJob, since: int) -> tuple[PollPage, bool]:
    """The window's records, growing the limit while the page is full; (page, complete)."""
    page: PollPage | None = None
    for limit in job.limits:
        page = await job.source.poll(job.resource, since=since, limit=limit)
        if page.count < limit:
            return page, True
        logger.info("%s: full page of %d since %d", job.resource, page.count, since)
    assert page is not None  # limits is never empty
    return page, False


async def _fire(job: PollJob, records: list[dict[str, Any]], server_time: int, fire: bool) -> int:
    """Store events for the records not seen before (oldest first), then mark them seen."""
    by_id: dict[str, dict[str, Any]] = {}
    for record in reversed(records):  # the API answers newest first
        rid = keys.record_id(job.resource, record)
        if rid is None:
            logger.warning("%s: record without an id skipped: %.200s", job.resource, record)
            continue
        by_id.setdefault(rid, record)
    fresh = await cursors.unseen(job.redis, job.resource, list(by_id))
    fired = 0
    if fire:
        events = [created_event(job.resource, r, rid) for rid, r in by_id.items() if rid in fresh]
        results = await job.store.store_many(events)
        fired = sum(results)
        await _count_pushed(job, [e for e, new in zip(events, results, strict=True) if not new])
    await cursors.mark_seen(job.redis, job.resource, [r for r in by_id if r in fresh], server_time)
    return fired


async def _count_pushed(job: PollJob, already: list[Event]) -> None:
    """Creations a push stored first: this poll is their duplicate arrival."""
    for event in already:
        rid = event.id.split(":")[2]
        pending = await state.take_pending(job.redis, job.resource, rid)
        if pending is not None and pending.event_id == event.id:
            await state.count_duplicate(job.redis, "poll")


async def _fill_gap(job: PollJob, page: PollPage, since: int, fire: bool) -> int:
    """A page still full at the largest limit: read the list endpoint, or record a gap."""
    ready = await job.redis.exists(keys.SNAPSHOT_READY + job.resource)
    if has_list(job.resource) and job.list_ok and ready:
        listed = await job.source.list_all(job.resource)
        known = set(await job.redis.hkeys(keys.SNAPSHOT + job.resource))  # type: ignore[misc]
        new = [
            r
            for r in listed
            if (rid := keys.record_id(job.resource, r)) is not None and rid.encode() not in known
        ]
        logger.warning(
            "%s: over %d new records; %d taken from the list endpoint",
            job.resource,
            page.count,
            len(new),
        )
        return await _fire(job, new, page.next_poll, fire)
    limit = job.limits[-1]
    gap = Event(
        id=f"bridge:poller:gap:{job.resource}:{since}",
        type="bridge.poller.gap",
        source="bridge",
        data={"resource": job.resource, "since": since, "limit": limit},
    )
    if await job.store.store(gap):
        await job.redis.hincrby(constants.STATS, keys.STAT_GAPS, 1)  # type: ignore[misc]
        logger.error(
            "%s: more than %d records since %d and no list endpoint: the oldest are missing"
            " (gap event recorded)",
            job.resource,
            limit,
            since,
        )
    return 0


async def poll_created(job: PollJob) -> PollResult:
    """One poll of the resource: events for its new records, then the cursor moves."""
    previous = await cursors.get_cursor(job.redis, job.resource)
    if previous is None:
        probe = await job.source.poll(job.resource, since=PROBE_SINCE, limit=1)
        reach = job.backfill if job.backfill is not None else job.overlap
        since = int(probe.next_poll - reach)
        fire = job.backfill is not None
        logger.info(
            "%s: first start, %s since %d",
            job.resource,
            "backfilling" if fire else "baseline",
            since,
        )
    else:
        since = int(previous - job.overlap)
        fire = True
    page, complete = await _fetch_window(job, since)
    fired = await _fire(job, page.records, page.next_poll, fire)
    if not complete:
        fired += await _fill_gap(job, page, since, fire)
    stored = await cursors.advance_cursor(job.redis, job.resource, page.next_poll)
    await cursors.prune_seen(
        job.redis, job.resource, page.next_poll - job.overlap - keys.seen_margin(job.resource)
    )
    lag = float(page.next_poll - (previous if previous is not None else page.next_poll))
    return PollResult(fired=fired, cursor=stored, lag=lag)
