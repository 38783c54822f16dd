"""The poller's status per resource, in `bridge:poller:status:<resource>`.

The web part's /readyz, /metrics and the dashboard read it; the fields are the ones
documented at `constants.POLLER_STATUS`.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge import constants

logger = logging.getLogger("bridge.poller.status")


class PollerState(StrEnum):
    """What the poller of a resource is doing."""

    #: The last poll succeeded.
    OK = "ok"
    #: Perfex (or Redis) failed; waiting before the next try.
    BACKOFF = "backoff"
    #: Perfex refused the token (401/403): this resource is no longer polled.
    UNAUTHORIZED = "unauthorized"
    #: Another replica holds the lock; this one waits to take over.
    STANDBY = "standby"
    #: The module has no list for this resource (404) and it is outside the Zapier poll.
    UNSUPPORTED = "unsupported"


def status_key(resource: str) -> str:
    """The Redis hash of a resource's poller status."""
    return constants.POLLER_STATUS + resource


async def write_status(
    redis: Redis,
    resource: str,
    state: PollerState,
    *,
    success: bool = False,
    cursor: int | None = None,
    error: str | None = None,
    fired: int = 0,
    lag: float | None = None,
) -> None:
    """Record one poll's outcome; a Redis failure here is logged, never raised."""
    now = time.time()
    fields: dict[str, str] = {"state": state.value, "last_poll": f"{now:.3f}"}
    if success:
        fields["last_success"] = f"{now:.3f}"
        fields["last_error"] = ""
    if cursor is not None:
        fields["cursor"] = str(cursor)
    if error is not None:
        fields["last_error"] = error[:500]
    if lag is not None:
        fields["lag_seconds"] = f"{lag:.3f}"
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(status_key(resource), mapping=fields)
            pipe.hincrby(status_key(resource), "events_fired", fired)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        logger.warning("could not write the poller status of %s: %s", resource, exc)
