"""Reconcile: updated and deleted records (and missed creations), read from the lists.

A pass reads the list with only the fingerprint columns (`fields=`, see `state`) in id
order (`sort=<id>`, so rows created during the pass land at the end instead of shifting
the pages), compares each row's state with the snapshot, and fetches the whole record
(`GET /<res>/<id>`) only for rows that changed. So a pass over 10,000 unchanged records
is 100 small pages. The first pass stores the baseline and fires nothing; after that a
changed record is one `updated` event with `changes`, a record gone from its list (and
confirmed gone by GET) one `deleted` event, and a listed record not in the snapshot one
`created` event (the same id the poll uses, so stored once). A change a push already
stored gives the same event id here (`state.PENDING`) and counts as a duplicate.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bridge import constants
from bridge.events import Event
from bridge.poller import keys, state
from bridge.poller.created import PollJob, created_event
from bridge.poller.fingerprint import changes, fingerprint

logger = logging.getLogger("bridge.poller.reconcile")

#: Snapshot entries written per HSET, so one huge list does not block Redis.
_CHUNK = 500


def updated_event(resource: str, rid: str, old: str, new: str, record: dict[str, Any]) -> Event:
    """The deterministic `updated` event of one change: its id hashes both states."""
    return Event(
        id=f"perfex:{resource}:{rid}:updated:{fingerprint(old, new)}",
        type=f"perfex.{resource}.updated",
        source="perfex",
        data=record,
        changes=changes(json.loads(old or "{}"), json.loads(new)),
    )


def deleted_event(resource: str, rid: str, last: str) -> Event:
    """The deterministic `deleted` event: the record as last seen, id from that state."""
    return Event(
        id=f"perfex:{resource}:{rid}:deleted:{fingerprint(last)}",
        type=f"perfex.{resource}.deleted",
        source="perfex",
        data=json.loads(last),
    )


async def _store(job: PollJob, event: Event, pending: state.Pending | None) -> bool:
    """Store a poll event; when a push stored it first, count this arrival a duplicate."""
    created = await job.store.store(event)
    if not created and pending is not None and pending.event_id == event.id:
        await state.count_duplicate(job.redis, "poll")
    return created


async def reconcile(job: PollJob) -> int:
    """Compare the list with the snapshot; store one event per difference."""
    resource = job.resource
    snapshot_key = keys.SNAPSHOT + resource
    cols = await state.columns(job.redis, job.source, resource)
    stats: dict[str, int] = {}
    rows = (
        await job.source.list_all(resource, fields=cols, sort=keys.id_key(resource), stats=stats)
        if cols is not None
        else []
    )
    listed: dict[str, tuple[dict[str, Any], str]] = {}
    for row in rows:
        rid = keys.record_id(resource, row)
        if rid is not None:
            listed[rid] = (row, state.project(row, cols or ()))
    job.stats["list_requests"] = stats.get("requests", 0)
    raw: dict[bytes, bytes] = await job.redis.hgetall(snapshot_key)  # type: ignore[misc]
    stored = {k.decode(): v.decode() for k, v in raw.items()}
    if not await job.redis.exists(keys.SNAPSHOT_READY + resource):
        await _write(job, {rid: text for rid, (_, text) in listed.items()})
        gone = [rid for rid in stored if rid not in listed]
        if gone:
            await job.redis.hdel(snapshot_key, *gone)  # type: ignore[misc]
        await job.redis.set(keys.SNAPSHOT_READY + resource, "1")
        logger.info("%s: reconcile baseline of %d records", resource, len(listed))
        return 0
    fired = 0
    gets = 0
    for rid, (row, text) in listed.items():
        old = stored.get(rid)
        if old == text:
            continue
        pending = await state.take_pending(job.redis, resource, rid)
        if old is None:
            event_id = f"perfex:{resource}:{rid}:created"
            if not await job.redis.exists(constants.EVENT_KEY + event_id):
                gets += 1
                record = await job.source.get(resource, rid)
                if await _store(job, created_event(resource, record or row, rid), pending):
                    fired += 1
            elif pending is not None and pending.event_id == event_id:
                await state.count_duplicate(job.redis, "poll")
            await job.redis.hset(snapshot_key, rid, text)  # type: ignore[misc]
            continue
        gets += 1
        record = await job.source.get(resource, rid)
        if record is None:
            continue  # gone since the list was read: the next pass sees the deletion
        new = state.project(record, cols or ())
        base = pending.state if pending is not None and pending.state is not None else old
        if new == old:
            await job.redis.hset(snapshot_key, rid, new)  # type: ignore[misc]
            continue
        if pending is not None and pending.state == new:
            event_id = pending.event_id  # a push stored exactly this change already
            await state.count_duplicate(job.redis, "poll")
        else:
            event = updated_event(resource, rid, base, new, record)
            event_id = event.id
            if await _store(job, event, pending):
                fired += 1
        await job.redis.hset(snapshot_key, rid, new)  # type: ignore[misc]
        await state.set_last(job.redis, resource, rid, event_id)
    for rid, last in stored.items():
        if rid in listed:
            continue
        gets += 1
        if await job.source.exists(resource, rid):
            logger.info("%s %s missing from the list but still there; kept", resource, rid)
            continue
        pending = await state.take_pending(job.redis, resource, rid)
        if pending is not None and pending.state is None:
            event_id = pending.event_id  # a push stored this deletion already
            await state.count_duplicate(job.redis, "poll")
        else:
            event = deleted_event(resource, rid, last)
            event_id = event.id
            if await _store(job, event, pending):
                fired += 1
        await job.redis.hdel(snapshot_key, rid)  # type: ignore[misc]
        await state.set_last(job.redis, resource, rid, event_id)
    job.stats["get_requests"] = gets
    return fired


async def _write(job: PollJob, entries: dict[str, str]) -> None:
    items = list(entries.items())
    for start in range(0, len(items), _CHUNK):
        chunk = dict(items[start : start + _CHUNK])
        await job.redis.hset(keys.SNAPSHOT + job.resource, mapping=chunk)  # type: ignore[misc]
