"""Storing an event while claiming a key for its id: one atomic call, first claim wins."""

from __future__ import annotations

import json
from typing import Any

import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event, EventStore, event_json
from bridge.exceptions import StoreUnavailable

KEY = constants.HOOK_BODY_SEEN + "github:abc"


def _hook_event(delivery: str, kind: str = "issues") -> Event:
    return Event(
        id=f"webhook:github:{delivery}",
        type=f"webhook.github.{kind}",
        source="webhook",
        data={"action": "opened"},
        headers={"x-github-delivery": delivery},
    )


async def test_first_claim_stores_and_claims(redis: Redis) -> None:
    """A new key: the event is stored, indexed and queued, and the key names its id."""
    store = EventStore(redis)
    event = _hook_event("d-1")
    assert await store.store_claiming(event, KEY, 60) is True
    assert event.id == "webhook:github:d-1"
    assert await redis.get(KEY) == b"webhook:github:d-1"
    assert 0 < await redis.ttl(KEY) <= 60
    assert await redis.zrange(constants.EVENTS_BY_TIME, 0, -1) == [b"webhook:github:d-1"]
    entries = await redis.xrange(constants.EVENT_STREAM)
    assert [fields[b"id"] for _, fields in entries] == [b"webhook:github:d-1"]
    stored = await store.get("webhook:github:d-1")
    assert stored is not None and stored.to_dict() == event.to_dict()


async def test_a_claimed_key_makes_a_duplicate_of_the_first(redis: Redis) -> None:
    """Another id on a claimed key stores nothing and takes the first event's id; the
    first event keeps its type."""
    store = EventStore(redis)
    assert await store.store_claiming(_hook_event("d-1"), KEY, 60) is True
    replay = _hook_event("d-2", kind="push")
    assert await store.store_claiming(replay, KEY, 60) is False
    assert replay.id == "webhook:github:d-1"
    assert await redis.xlen(constants.EVENT_STREAM) == 1
    assert await redis.get(constants.EVENT_KEY + "webhook:github:d-2") is None
    first = await store.get("webhook:github:d-1")
    assert first is not None and first.type == "webhook.github.issues"


async def test_the_same_id_again_is_a_duplicate(redis: Redis) -> None:
    """A sender's retry (same id, same key) stores nothing new."""
    store = EventStore(redis)
    assert await store.store_claiming(_hook_event("d-1"), KEY, 60) is True
    assert await store.store_claiming(_hook_event("d-1"), KEY, 60) is False
    assert await redis.xlen(constants.EVENT_STREAM) == 1


async def test_a_claim_whose_event_is_gone_stores_under_the_claimed_id(redis: Redis) -> None:
    """When the first event expired while its claim lives, a replay stores it again under
    the claimed id (with that id inside the stored JSON), so it is not lost."""
    store = EventStore(redis)
    await redis.set(KEY, "webhook:github:d-1", ex=60)
    replay = _hook_event("d-2")
    assert await store.store_claiming(replay, KEY, 60) is True
    assert replay.id == "webhook:github:d-1"
    stored = await store.get("webhook:github:d-1")
    assert stored is not None and stored.id == "webhook:github:d-1"
    assert await redis.get(constants.EVENT_KEY + "webhook:github:d-2") is None
    entries = await redis.xrange(constants.EVENT_STREAM)
    assert [fields[b"id"] for _, fields in entries] == [b"webhook:github:d-1"]


async def test_claiming_with_redis_down_is_a_bridge_error() -> None:
    """With Redis down, store_claiming raises StoreUnavailable (the hook answers 503)."""
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await EventStore(dead).store_claiming(_hook_event("d-1"), KEY, 60)
    finally:
        await dead.aclose()


@pytest.mark.parametrize(
    "extra",
    [{}, {"headers": {"x-a": "1"}}, {"changes": {"s": [1, 2]}, "headers": {"x-b": "é"}}],
)
def test_event_json_with_the_data_text_is_the_same_document(extra: dict[str, Any]) -> None:
    """The data's own JSON text spliced in parses to what to_json gives, keys in order."""
    data_json = '{"b": [1, 2.5, null], "a": "caf\\u00e9 ☕", "n": 123456789012345678901234}'
    event = Event("e-1", "webhook.x", "webhook", json.loads(data_json), **extra)
    spliced = event_json(event, data_json)
    assert data_json in spliced
    assert json.loads(spliced) == json.loads(event.to_json())
    assert list(json.loads(spliced)) == list(json.loads(event.to_json()))
    assert event_json(event) == event.to_json()


async def test_a_stored_data_text_reads_back_as_the_event(redis: Redis) -> None:
    """An event stored with its data's text (store and store_claiming) reads back equal."""
    store = EventStore(redis)
    text = '{"action":"opened","issue":{"number":7}}'
    first = Event("e-1", "webhook.x", "webhook", json.loads(text), headers={"h": "v"})
    second = Event("e-2", "webhook.x", "webhook", json.loads(text))
    assert await store.store(first, text) is True
    assert await store.store_claiming(second, KEY, 60, text) is True
    for event in (first, second):
        loaded = await store.get(event.id)
        assert loaded is not None and loaded.to_dict() == event.to_dict()
