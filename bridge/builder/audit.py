"""The builder's audit log: every write to a rules file, newest first, bounded, in Redis.

    await record(redis, rule="lead-to-task", change="created", who="dashboard session",
                 file="rules/lead-to-task.yml")
    await entries(redis, limit=50)   # [{"time", "rule", "change", "who", "file", ...}, ...]

One Redis list shared by every `bridge web` replica, trimmed to MAX_ENTRIES on each write,
so it never grows without bound. It records what changed, never a value from the rule.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.asyncio import Redis

from bridge.constants import KEY_PREFIX

logger = logging.getLogger("bridge.builder.audit")

AUDIT_KEY = KEY_PREFIX + "builder:audit"
#: Entries kept; older ones are dropped.
MAX_ENTRIES = 1000
CHANGES = ("created", "edited", "deleted", "enabled", "disabled")
_MAX_FIELD = 300


async def record(
    redis: Redis, *, rule: str, change: str, who: str, file: str, version: str | None = None
) -> dict[str, Any]:
    """Append one entry (and trim the log); returns the entry."""
    entry: dict[str, Any] = {
        "time": time.time(),
        "rule": rule[:_MAX_FIELD],
        "change": change,
        "who": who[:_MAX_FIELD],
        "file": file[:_MAX_FIELD],
        "version": version,
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(AUDIT_KEY, json.dumps(entry))
        pipe.ltrim(AUDIT_KEY, 0, MAX_ENTRIES - 1)
        await pipe.execute()
    logger.info("rules %s: %s by %s (%s)", change, entry["rule"], entry["who"], entry["file"])
    return entry


async def entries(redis: Redis, limit: int = 100, rule: str | None = None) -> list[dict[str, Any]]:
    """The newest entries first (at most `limit`; only one rule's when `rule` is given)."""
    stop = MAX_ENTRIES - 1 if rule else max(limit, 1) - 1
    raw: list[Any] = await redis.lrange(AUDIT_KEY, 0, stop)  # type: ignore[misc]
    out: list[dict[str, Any]] = []
    for item in raw:
        try:
            entry = json.loads(item)
        except ValueError:
            continue
        if isinstance(entry, dict) and (rule is None or entry.get("rule") == rule):
            out.append(entry)
        if len(out) >= limit:
            break
    return out
