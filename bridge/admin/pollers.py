"""The pollers' status hashes (bridge:poller:status:<resource>), read for the admin views."""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis

from bridge import constants
from bridge.admin.serializers import poller_to_dict

logger = logging.getLogger("bridge.admin.pollers")


async def poller_statuses(redis: Redis) -> list[dict[str, Any]]:
    """Every poller that has reported, sorted by resource."""
    keys = sorted(
        [_text(key) async for key in redis.scan_iter(match=constants.POLLER_STATUS + "*")]
    )
    out = []
    for key in keys:
        raw: dict[bytes | str, bytes | str] = await redis.hgetall(key)  # type: ignore[misc]
        fields = {_text(k): _text(v) for k, v in raw.items()}
        out.append(poller_to_dict(key.removeprefix(constants.POLLER_STATUS), fields))
    return out


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
