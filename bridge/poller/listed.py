"""Creations of resources outside the Zapier poll, read from their list endpoint.

Ids are auto-increment, so the list sorted newest first (`sort=-<id>`) shows new records
on its first page: read pages until one reaches an id already seen (the high-water mark),
usually one request per poll. A module that ignores `sort` (or an older one answering a
plain array) is read to the end instead. The first pass only remembers the highest id, so
the records that existed when the bridge started make no flood of `created` events.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from bridge.poller import keys, state
from bridge.poller.created import PollJob, PollResult, created_event

logger = logging.getLogger("bridge.poller.listed")


def _id(resource: str, row: dict[str, Any]) -> int | None:
    rid = keys.record_id(resource, row)
    try:
        return int(rid) if rid is not None else None
    except ValueError:
        return None


async def poll_listed(job: PollJob) -> PollResult:
    """One poll for creations through the list: events for ids above the high-water mark."""
    resource = job.resource
    raw = await job.redis.get(keys.HIGH_WATER + resource)
    mark = int(raw) if raw is not None else None
    fresh: dict[int, dict[str, Any]] = {}
    top = mark or 0
    page = 1
    while True:
        answer = await job.source.list_page(resource, page=page, sort=f"-{keys.id_key(resource)}")
        ids = [i for i in (_id(resource, row) for row in answer.rows) if i is not None]
        for row in answer.rows:
            rid = _id(resource, row)
            if rid is not None and rid > (mark or 0):
                fresh.setdefault(rid, row)
        top = max([top, *ids])
        descending = all(a >= b for a, b in itertools.pairwise(ids))
        if not answer.enveloped or answer.page >= answer.last_page:
            break
        if descending and (mark is None or any(i <= mark for i in ids)):
            break
        page += 1
    fired = 0
    if mark is None:
        logger.info("%s: first pass, %d records remembered (no events)", resource, len(fresh))
    elif fresh:
        ordered = [fresh[rid] for rid in sorted(fresh)]
        events = [created_event(resource, row, str(_id(resource, row))) for row in ordered]
        results = await job.store.store_many(events)
        fired = sum(results)
        for event, new in zip(events, results, strict=True):
            pending = await state.take_pending(job.redis, resource, event.id.split(":")[2])
            if not new and pending is not None and pending.event_id == event.id:
                await state.count_duplicate(job.redis, "poll")
    await job.redis.set(keys.HIGH_WATER + resource, str(top))
    return PollResult(fired=fired, cursor=top, lag=0.0)
