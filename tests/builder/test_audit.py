"""The builder's audit log in Redis: newest first, filtered by rule, bounded."""

from __future__ import annotations

from redis.asyncio import Redis

from bridge.builder import audit


async def test_log_is_newest_first_and_bounded(redis: Redis) -> None:
    """More writes than MAX_ENTRIES keep only the newest MAX_ENTRIES; limits and filters hold."""
    for i in range(audit.MAX_ENTRIES + 5):
        await audit.record(
            redis, rule=f"r{i % 3}", change="edited", who="admin token", file=f"f{i}.yml"
        )
    assert await redis.llen(audit.AUDIT_KEY) == audit.MAX_ENTRIES  # type: ignore[misc]
    newest = await audit.entries(redis, limit=2)
    assert [e["file"] for e in newest] == [
        f"f{audit.MAX_ENTRIES + 4}.yml",
        f"f{audit.MAX_ENTRIES + 3}.yml",
    ]
    only = await audit.entries(redis, limit=5, rule="r0")
    assert len(only) == 5 and all(e["rule"] == "r0" for e in only)


async def test_fields_are_bounded_and_junk_is_skipped(redis: Redis) -> None:
    """A huge rule name is cut; an entry that is not JSON is skipped, not a 500."""
    await redis.lpush(audit.AUDIT_KEY, b"not json")  # type: ignore[misc]
    entry = await audit.record(redis, rule="x" * 5000, change="created", who="w", file="f")
    assert len(entry["rule"]) == 300
    assert [e["change"] for e in await audit.entries(redis)] == ["created"]
