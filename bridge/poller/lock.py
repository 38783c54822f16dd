"""A Redis lock per resource, so exactly one replica polls it while the others stand by.

SET NX PX with a random token; a background task renews it every third of its TTL; it
is released with a compare-and-delete so a replica never frees a lock it no longer holds.
When renewal fails for longer than the TTL, `lost` is set and the holder stops polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge.poller import keys

logger = logging.getLogger("bridge.poller.lock")

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class ResourceLock:
    """The poll lock of one resource, held by this process while `acquire` says so."""

    def __init__(self, redis: Redis, resource: str, ttl: float) -> None:
        self.redis = redis
        self.resource = resource
        self.key = keys.LOCK + resource
        self.ttl_ms = max(100, int(ttl * 1000))
        self.token = secrets.token_hex(16)
        #: Set when the lock could not be renewed: stop polling at once.
        self.lost = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None

    async def acquire(self) -> bool:
        """Take the lock if it is free; on success, start renewing it in the background."""
        taken = await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms)
        if not taken:
            return False
        self.lost.clear()
        self._renewer = asyncio.create_task(self._renew_loop(), name=f"lock:{self.resource}")
        logger.info("took the poll lock of %s", self.resource)
        return True

    async def _renew_loop(self) -> None:
        last_ok = time.monotonic()
        ttl = self.ttl_ms / 1000
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                held = await self.redis.eval(  # type: ignore[misc]
                    _RENEW, 1, self.key, self.token, str(self.ttl_ms)
                )
            except (RedisError, OSError) as exc:
                if time.monotonic() - last_ok < ttl:
                    logger.warning("could not renew the lock of %s: %s", self.resource, exc)
                    continue
                held = 0
            if not held:
                logger.warning("lost the poll lock of %s; standing by", self.resource)
                self.lost.set()
                return
            last_ok = time.monotonic()

    async def release(self) -> None:
        """Stop renewing and delete the lock if it is still ours."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        try:
            await self.redis.eval(_RELEASE, 1, self.key, self.token)  # type: ignore[misc]
        except (RedisError, OSError) as exc:
            logger.warning("could not release the lock of %s: %s", self.resource, exc)
