"""The per-record state push and poll share, so one change is one event whichever sees it.

A record's state is the canonical JSON of its fingerprint columns: the scalar columns of
the resource's list rows (learned once, kept in Redis), so a reconcile can ask the list
for exactly those (`fields=`), and a push can compute the same state from the record it
fetched. An `updated` event's id hashes the old and the new state; both paths read the
old one from here:

- `SNAPSHOT`: the state the poll last settled on;
- `PENDING`: a change a push stored that the poll has not reached yet (its event id and
  the state it produced), so the poll derives that same event id and counts itself a
  duplicate instead of firing again. The poll takes an entry when it reaches the record;
  the ones it never reaches (a resource not polled, a record created and deleted between
  two passes) age out after a horizon: the event store's retention (see `set_pending`);
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


#: Entries one write prunes at most, so no write does unbounded work; each write adds one
#: entry and may remove this many, so a backlog drains.
PRUNE_BATCH = 256

# KEYS: PENDING hash, PENDING_AT index. ARGV: rid, value, horizon (ms), prune batch.
# Writes the entry and its time (the server's clock, so every process agrees), drops up to
# a batch of entries older than the horizon, and lets both keys expire a horizon after the
# last write. A hash written before the index existed is indexed first (as of now).
_SET_PENDING = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local horizon = tonumber(ARGV[3])
if redis.call('HLEN', KEYS[1]) > redis.call('ZCARD', KEYS[2]) then
  local rids = redis.call('HKEYS', KEYS[1])
  for i = 1, #rids, 500 do
    local args = {}
    for j = i, math.min(i + 499, #rids) do
      args[#args + 1] = now
      args[#args + 1] = rids[j]
    end
    redis.call('ZADD', KEYS[2], 'NX', unpack(args))
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - horizon, 'LIMIT', 0, ARGV[4])
if #old > 0 then
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
redis.call('PEXPIRE', KEYS[1], horizon)
redis.call('PEXPIRE', KEYS[2], horizon)
return #old
"""


async def set_pending(
    redis: Redis, resource: str, rid: str, pending: Pending, horizon: float
) -> int:
    """Remember a change a push stored; prune entries older than `horizon` seconds.

    The horizon is the retention of the event store the push stored the event in. That
    is safe: an entry only serves to give a later arrival of the same change (the poll,
    a redelivery) the event id already stored, so the store drops the second arrival as
    a duplicate; the store forgets the event itself after its retention (its key expires),
    so past it even the same id would be stored again, and the entry can keep no promise
    the store does not. Within the horizon nothing is pruned, so push and poll give one
    event whenever the store can still tell. Returns the number of entries pruned.
    """
    value = json.dumps({"id": pending.event_id, "state": pending.state})
    script = redis.register_script(_SET_PENDING)
    pruned = await script(
        keys=[keys.PENDING + resource, keys.PENDING_AT + resource],
        args=[rid, value, max(int(horizon * 1000), 1), PRUNE_BATCH],
    )
    if pruned:
        logger.info("%s: %d pending push entries past the horizon pruned", resource, pruned)
    return int(pruned)


async def take_pending(redis: Redis, resource: str, rid: str) -> Pending | None:
    """The pending push change of a record, removed (the poll has reached it)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hget(keys.PENDING + resource, rid)
        pipe.hdel(keys.PENDING + resource, rid)
        pipe.zrem(keys.PENDING_AT + resource, rid)
        raw, _, _ = await pipe.execute()
    if raw is None:
        return None
    value = json.loads(raw)
    return Pending(event_id=str(value["id"]), state=value.get("state"))


async def last_event(redis: Redis, resource: str, rid: str) -> str | None:
    raw = await redis.hget(keys.LAST + resource, rid)  # type: ignore[misc]
    return raw.decode() if isinstance(raw, bytes) else raw


async def set_last(redis: Redis, resource: str, rid: str, event_id: str) -> None:
    await redis.hset(keys.LAST + resource, rid, event_id)  # type: ignore[misc]


async def count_duplicate(redis: Redis, source: str) -> None:
    """One more change that reached the bridge a second time, by `push` or `poll`."""
    await redis.hincrby(constants.STATS, keys.STAT_DUPLICATES + source, 1)  # type: ignore[misc]
