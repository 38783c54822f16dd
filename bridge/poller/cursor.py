"""Where the poll of a resource stands: its cursor and the record ids already seen.

The cursor is Perfex's own clock (`meta.next_poll`), never the bridge's, and only moves
forward: a replica that lost its lock cannot move it back. Seen ids live in a sorted set
scored by the server time of the poll that first saw them, so pruning is a range delete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from redis.asyncio import Redis

from bridge.poller import keys

logger = logging.getLogger("bridge.poller.cursor")

# Set the cursor unless it would move backwards.
_ADVANCE = """
local current = tonumber(redis.call('GET', KEYS[1]))
local value = tonumber(ARGV[1])
if current == nil or value > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return value
end
return current
"""


async def get_cursor(redis: Redis, resource: str) -> int | None:
    """The server time up to which creations were seen, or None before the first poll."""
    raw = await redis.get(keys.CURSOR + resource)
    return int(raw) if raw is not None else None


async def advance_cursor(redis: Redis, resource: str, value: int) -> int:
    """Move the cursor forward to `value` (never back); returns the cursor now stored."""
    result = await redis.eval(_ADVANCE, 1, keys.CURSOR + resource, str(value))  # type: ignore[misc]
    return int(result)


async def unseen(redis: Redis, resource: str, ids: Sequence[str]) -> set[str]:
    """The ids among `ids` that no poll has seen yet."""
    if not ids:
        return set()
    scores = await redis.zmscore(keys.SEEN + resource, list(ids))
    return {rid for rid, score in zip(ids, scores, strict=True) if score is None}


async def mark_seen(redis: Redis, resource: str, ids: Iterable[str], server_time: int) -> None:
    """Remember ids as seen, scored by the server time of the poll that saw them."""
    mapping = {rid: float(server_time) for rid in ids}
    if mapping:
        await redis.zadd(keys.SEEN + resource, mapping)


async def prune_seen(redis: Redis, resource: str, before: float) -> int:
    """Forget ids first seen before `before` (server time); returns how many went."""
    removed = await redis.zremrangebyscore(keys.SEEN + resource, "-inf", f"({before}")
    if removed:
        logger.debug("pruned %d seen ids of %s", removed, resource)
    return int(removed)
