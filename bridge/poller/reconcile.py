"""Reconcile: updated and deleted records, read from the list endpoints.

The poll endpoint never returns a modified record again, so changes are found by
comparing each listed record's canonical JSON with the snapshot kept in Redis (a hash
per resource: id -> canonical JSON). The first reconcile stores the baseline and fires
nothing; after that a changed record is one `updated` event with `changes`, a record
gone from its list (and confirmed gone by GET) one `deleted` event, and a listed record
not in the snapshot one `created` event (the same id the poll uses, so stored once).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bridge.events import Event
from bridge.poller import keys
from bridge.poller.created import PollJob, created_event
from bridge.poller.fingerprint import canonical, changes, fingerprint

logger = logging.getLogger("bridge.poller.reconcile")

#: Snapshot entries written per HSET, so one huge list does not block Redis.
_CHUNK = 500


def updated_event(resource: str, rid: str, old: str, new: str, record: dict[str, Any]) -> Event:
    """The deterministic `updated` event of one change: its id hashes both versions."""
    return Event(
        id=f"perfex:{resource}:{rid}:updated:{fingerprint(old, new)}",
        type=f"perfex.{resource}.updated",
        source="perfex",
        data=record,
        changes=changes(json.loads(old), json.loads(new)),
    )


def deleted_event(resource: str, rid: str, last: str) -> Event:
    """The deterministic `deleted` event: the record as last seen, id from its content."""
    return Event(
        id=f"perfex:{resource}:{rid}:deleted:{fingerprint(last)}",
        type=f"perfex.{resource}.deleted",
        source="perfex",
        data=json.loads(last),
    )


async def reconcile(job: PollJob) -> int:
    """Compare the list endpoint with the snapshot; store one event per difference."""
    resource = job.resource
    snapshot_key = keys.SNAPSHOT + resource
    volatile = keys.VOLATILE.get(resource, frozenset())
    listed: dict[str, tuple[dict[str, Any], str]] = {}
    for record in await job.source.list_all(resource):
        rid = keys.record_id(resource, record)
        if rid is not None:
            listed[rid] = (record, canonical(record, volatile))
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
    for rid, (record, text) in listed.items():
        old = stored.get(rid)
        if old == text:
            continue
        if old is None:
            event = created_event(resource, record, rid)
        else:
            event = updated_event(resource, rid, old, text, record)
        if await job.store.store(event):
            fired += 1
        await job.redis.hset(snapshot_key, rid, text)  # type: ignore[misc]
    for rid, last in stored.items():
        if rid in listed:
            continue
        if await job.source.exists(resource, rid):
            logger.info("%s %s missing from the list but still there; kept", resource, rid)
            continue
        if await job.store.store(deleted_event(resource, rid, last)):
            fired += 1
        await job.redis.hdel(snapshot_key, rid)  # type: ignore[misc]
    return fired


async def _write(job: PollJob, entries: dict[str, str]) -> None:
    items = list(entries.items())
    for start in range(0, len(items), _CHUNK):
        chunk = dict(items[start : start + _CHUNK])
        await job.redis.hset(keys.SNAPSHOT + job.resource, mapping=chunk)  # type: ignore[misc]
