"""The event store: stored once per id, atomically indexed and queued for the router."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event, EventStore
from bridge.exceptions import StoreUnavailable


def _lead_created(lead_id: int = 42) -> Event:
    return Event(
        id=f"perfex:leads:{lead_id}:created",
        type="perfex.leads.created",
        source="perfex",
        data={"id": str(lead_id), "name": "Ada"},
    )


async def test_store_is_idempotent_on_the_id(redis: Redis) -> None:
    """The same event stored twice is one event, one index entry, one stream entry."""
    store = EventStore(redis)
    assert await store.store(_lead_created()) is True
    assert await store.store(_lead_created()) is False
    assert await redis.zcard(constants.EVENTS_BY_TIME) == 1
    assert await redis.xlen(constants.EVENT_STREAM) == 1
    stored = await store.get("perfex:leads:42:created")
    assert stored is not None
    assert stored.to_dict() == _lead_created().to_dict() | {"time": stored.time}


async def test_round_trip_keeps_changes_and_headers(redis: Redis) -> None:
    """Optional fields survive the JSON round trip; absent ones stay absent."""
    store = EventStore(redis)
    event = Event(
        id="perfex:leads:1:updated:abc",
        type="perfex.leads.updated",
        source="perfex",
        data={"id": "1", "status": "2"},
        changes={"status": ["1", "2"]},
    )
    await store.store(event)
    loaded = await store.get(event.id)
    assert loaded is not None
    assert loaded.changes == {"status": ["1", "2"]}
    assert "headers" not in loaded.to_dict()


async def test_stored_event_expires_with_retention(redis: Redis) -> None:
    """Events carry the retention TTL so Redis memory stays bounded."""
    store = EventStore(redis, retention_seconds=60)
    await store.store(_lead_created())
    ttl = await redis.ttl(constants.EVENT_KEY + "perfex:leads:42:created")
    assert 0 < ttl <= 60


async def test_unknown_event_is_none(redis: Redis) -> None:
    """Asking for an id never stored gives None, not an error."""
    assert await EventStore(redis).get("perfex:leads:404:created") is None


async def test_store_unavailable_is_a_bridge_error() -> None:
    """With Redis down, storing raises StoreUnavailable (so /hooks can answer 503)."""
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await EventStore(dead).store(_lead_created())
    finally:
        await dead.aclose()


async def test_store_many_keeps_order_and_dedupes(redis: Redis) -> None:
    """A page of events stored in one round trip: new ones True, repeats False, in order."""
    store = EventStore(redis)
    await store.store(_lead_created(2))
    result = await store.store_many([_lead_created(1), _lead_created(2), _lead_created(3)])
    assert result == [True, False, True]
    entries = await redis.xrange(constants.EVENT_STREAM)
    assert [fields[b"id"] for _, fields in entries] == [
        b"perfex:leads:2:created",
        b"perfex:leads:1:created",
        b"perfex:leads:3:created",
    ]
    assert await store.store_many([]) == []


async def test_prune_drops_index_entries_past_retention(redis: Redis) -> None:
    """The time index forgets events older than the retention, and keeps the rest."""
    store = EventStore(redis, retention_seconds=60)
    await store.store(_lead_created(1))
    await redis.zadd(constants.EVENTS_BY_TIME, {"perfex:leads:0:created": 1.0})
    assert await store.prune() == 1
    assert await redis.zrange(constants.EVENTS_BY_TIME, 0, -1) == [b"perfex:leads:1:created"]
