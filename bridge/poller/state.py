"""The per-record state push and poll share, so one change is one event whichever sees it.

A record's state is the canonical JSON of its fingerprint columns: the scalar columns of
the resource's list rows (learned once, kept in Redis), so a reconcile can ask the list
for exactly those (`fields=`), and a push can compute the same state from the record it
fetched. An `updated` event's id hashes the old and the new state; both paths read the
old one from here:

- `SNAPSHOT`: the state the poll last settled on;
- `PENDING`: a change a push stored that the poll has not reached yet (its event id and
  the state it produced), so the poll derives that same event id and counts itself a
  duplicate instead of firing again;
- `LAST`: the id of the event that produced the current state, so a push arriving after
  the poll took its change is counted as the duplicate it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bridge import constants
from bridge.exceptions import ListUnsupported
from bridge.poller import keys
from bridge.poller.source import PerfexSource

logger = logging.getLogger("bridge.poller.state")

_SCALARS = (str, int, float, bool, type(None))


def scalar_columns(record: dict[str, Any], volatile: Collection[str] = ()) -> list[str]:
    """The record's own columns: scalar values only (no joined lists or objects)."""
    return sorted(k for k, v in record.items() if isinstance(v, _SCALARS) and k not in volatile)


def project(record: dict[str, Any], columns: Collection[str]) -> str:
    """The canonical state of a record: its fingerprint columns as compact sorted JSON."""
    picked = {c: record[c] for c in columns if c in record}
    return json.dumps(picked, sort_keys=True, separators=(",", ":"), default=str)


async def columns(redis: Redis, source: PerfexSource, resource: str) -> list[str] | None:
    """The resource's fingerprint columns, learned from one list row the first time.

    None when the list is empty (nothing to learn from yet); ListUnsupported passes up.
    """
    raw = await redis.get(keys.COLUMNS + resource)
    if raw:
        return list(json.loads(raw))
    page = await source.list_page(resource, page=1, per_page=1)
    if not page.rows:
        return None
    learned = scalar_columns(page.rows[0], keys.VOLATILE.get(resource, frozenset()))
    await redis.set(keys.COLUMNS + resource, json.dumps(learned))
    logger.info("%s: fingerprint columns %s", resource, ",".join(learned))
    return learned


async def columns_for(
    redis: Redis, source: PerfexSource, resource: str, record: dict[str, Any]
) -> list[str]:
    """Columns for a push: the learned ones, else this record's own (list missing/empty)."""
    try:
        learned = await columns(redis, source, resource)
    except ListUnsupported:
        learned = None
    return learned if learned is not None else scalar_columns(record)


@dataclass(slots=True)
class Pending:
    """A change a push stored ahead of the poll."""

    event_id: str
    #: The state it produced; None for a deletion.
    state: str | None


async def get_pending(redis: Redis, resource: str, rid: str) -> Pending | None:
    raw = await redis.hget(keys.PENDING + resource, rid)  # type: ignore[misc]
    if raw is None:
        return None
    value = json.loads(raw)
    return Pending(event_id=str(value["id"]), state=value.get("state"))


async def set_pending(redis: Redis, resource: str, rid: str, pending: Pending) -> None:
    value = json.dumps({"id": pending.event_id, "state": pending.state})
    await redis.hset(keys.PENDING + resource, rid, value)  # type: ignore[misc]


async def take_pending(redis: Redis, resource: str, rid: str) -> Pending | None:
    """The pending push change of a record, removed (the poll has reached it)."""
    pending = await get_pending(redis, resource, rid)
    if pending is not None:
        await redis.hdel(keys.PENDING + resource, rid)  # type: ignore[misc]
    return pending


async def last_event(redis: Redis, resource: str, rid: str) -> str | None:
    raw = await redis.hget(keys.LAST + resource, rid)  # type: ignore[misc]
    return raw.decode() if isinstance(raw, bytes) else raw


async def set_last(redis: Redis, resource: str, rid: str, event_id: str) -> None:
    await redis.hset(keys.LAST + resource, rid, event_id)  # type: ignore[misc]


async def count_duplicate(redis: Redis, source: str) -> None:
    """One more change that reached the bridge a second time, by `push` or `poll`."""
    await redis.hincrby(constants.STATS, keys.STAT_DUPLICATES + source, 1)  # type: ignore[misc]
