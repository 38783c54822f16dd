"""The poller's small parts against the real Valkey: fingerprints, cursor, seen ids, lock."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bridge.poller import cursor, keys
from bridge.poller.fingerprint import canonical, changes, fingerprint
from bridge.poller.lock import ResourceLock
from bridge.poller.runner import Timing, backoff_delay


def test_canonical_ignores_key_order_and_volatile_fields() -> None:
    """Two reads of the same record give the same canonical form, whatever the key order."""
    a = canonical({"id": "1", "name": "x", "seen": "now"}, {"seen"})
    b = canonical({"name": "x", "id": "1", "seen": "later"}, {"seen"})
    assert a == b == '{"id":"1","name":"x"}'
    assert fingerprint(a) != fingerprint(canonical({"id": "1", "name": "y"}))
    assert len(fingerprint(a)) == 16


def test_changes_lists_old_and_new_per_field() -> None:
    """`changes` names every differing field with [old, new], None for an absent side."""
    old = {"id": "1", "status": "2", "gone": "a"}
    new = {"id": "1", "status": "3", "added": "b"}
    assert changes(old, new) == {
        "added": [None, "b"],
        "gone": ["a", None],
        "status": ["2", "3"],
    }


def test_record_id_per_resource() -> None:
    """Customers are keyed by userid and tickets by ticketid, the rest by id."""
    assert keys.record_id("customers", {"id": "9", "userid": "3"}) == "3"
    assert keys.record_id("tickets", {"ticketid": 4}) == "4"
    assert keys.record_id("leads", {"id": 7}) == "7"
    assert keys.record_id("leads", {"name": "no id"}) is None


async def test_cursor_only_moves_forward(redis: Redis) -> None:
    """A stale replica cannot move the cursor back."""
    assert await cursor.get_cursor(redis, "leads") is None
    assert await cursor.advance_cursor(redis, "leads", 1000) == 1000
    assert await cursor.advance_cursor(redis, "leads", 900) == 1000
    assert await cursor.advance_cursor(redis, "leads", 1100) == 1100
    assert await cursor.get_cursor(redis, "leads") == 1100


async def test_seen_ids_dedupe_and_prune(redis: Redis) -> None:
    """Seen ids are filtered out, and pruning drops those seen before the cutoff only."""
    await cursor.mark_seen(redis, "leads", ["1", "2"], 100)
    await cursor.mark_seen(redis, "leads", ["3"], 200)
    assert await cursor.unseen(redis, "leads", ["1", "3", "4"]) == {"4"}
    assert await cursor.prune_seen(redis, "leads", 150) == 2
    assert await cursor.unseen(redis, "leads", ["1", "3"]) == {"1"}


async def test_lock_is_exclusive_renewed_and_released(redis: Redis) -> None:
    """One holder at a time; it stays held past its TTL while renewed; release frees it."""
    first = ResourceLock(redis, "leads", ttl=0.3)
    second = ResourceLock(redis, "leads", ttl=0.3)
    assert await first.acquire()
    assert not await second.acquire()
    await asyncio.sleep(0.8)
    assert not first.lost.is_set()
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
    await second.release()


async def test_lock_lost_when_taken_over(redis: Redis) -> None:
    """A holder whose key was taken by another token notices and sets `lost`."""
    lock = ResourceLock(redis, "leads", ttl=0.3)
    assert await lock.acquire()
    await redis.set(keys.LOCK + "leads", "someone-else")
    await asyncio.wait_for(lock.lost.wait(), timeout=5)
    await lock.release()
    assert await redis.get(keys.LOCK + "leads") == b"someone-else"


def test_backoff_grows_caps_and_honours_retry_after() -> None:
    """Waits double per failure up to the cap; a longer Retry-After wins."""
    timing = Timing(poll_interval=1.0, reconcile_interval=10.0, lock_ttl=2.0, backoff_cap=8.0)
    assert 0.8 <= backoff_delay(1, timing) <= 1.0
    assert 3.2 <= backoff_delay(3, timing) <= 4.0
    assert 6.4 <= backoff_delay(20, timing) <= 8.0
    assert backoff_delay(1, timing, retry_after=30.0) == 30.0
