"""Failed admin-token attempts, counted per client address in Redis and throttled.

The dashboard login and the admin API's bearer check share one counter per client: after
`AUTH_MAX_FAILURES` failures within `AUTH_FAILURE_WINDOW` seconds every attempt from that
address, right or wrong, is answered 429 with Retry-After until the window ends, so the
token cannot be guessed at network speed (and a guess cannot be told apart from a miss
while blocked). The address is the client's as uvicorn sees it: behind a reverse proxy
set BRIDGE_FORWARDED_ALLOW_IPS so it is the real client, not the proxy.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from starlette.requests import Request

from bridge import constants

logger = logging.getLogger("bridge.admin.throttle")


def client_of(request: Request) -> str:
    """The client address the counter is kept for."""
    return request.client.host if request.client else "unknown"


def _key(request: Request) -> str:
    return constants.AUTH_FAILURES + client_of(request)


async def blocked_for(redis: Redis, request: Request) -> int | None:
    """Seconds this client must wait before trying again, or None when it may try now."""
    key = _key(request)
    count = await redis.get(key)
    if count is None or int(count) < constants.AUTH_MAX_FAILURES:
        return None
    ttl = await redis.ttl(key)
    return max(1, int(ttl)) if ttl and ttl > 0 else constants.AUTH_FAILURE_WINDOW


async def record_failure(redis: Redis, request: Request) -> None:
    """Count one failed attempt of this client (the window starts at its first)."""
    key = _key(request)
    count = await redis.incr(key)
    if count == 1:
        await redis.expire(key, constants.AUTH_FAILURE_WINDOW)
    if count == constants.AUTH_MAX_FAILURES:
        logger.warning(
            "admin token: %d failed attempts from %s; refusing it for %d s",
            count,
            client_of(request),
            constants.AUTH_FAILURE_WINDOW,
        )
