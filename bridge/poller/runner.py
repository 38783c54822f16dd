"""The loop of one resource: hold its lock, poll, reconcile, back off, stop on 401.

Perfex down, 5xx, 429 or a malformed answer: wait exponentially longer (honouring
Retry-After, capped), keep the cursor, and resume where it stood, so nothing is lost.
401/403: the token is refused; say so loudly and stop polling this resource.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from bridge.exceptions import (
    PerfexRateLimited,
    PerfexRejected,
    PerfexUnavailable,
    StoreUnavailable,
)
from bridge.poller.created import PollJob, poll_created
from bridge.poller.lock import ResourceLock
from bridge.poller.reconcile import reconcile
from bridge.poller.source import MalformedResponse, has_list
from bridge.poller.status import PollerState, write_status

logger = logging.getLogger("bridge.poller.runner")

#: Longest Retry-After honoured (seconds): a wild header must not stall polling for days.
_MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True, slots=True)
class Timing:
    """The intervals of one resource's loop, injectable so tests can use short ones."""

    poll_interval: float
    reconcile_interval: float
    #: Lock lifetime: a standby takes over at most this long after the holder died.
    lock_ttl: float
    #: Longest wait between tries while Perfex fails.
    backoff_cap: float = 300.0


def backoff_delay(failures: int, timing: Timing, retry_after: float | None = None) -> float:
    """Exponential from the poll interval, capped, with jitter; Retry-After wins if longer."""
    growth: float = 2.0 ** min(failures - 1, 30)
    base = min(timing.backoff_cap, timing.poll_interval * growth)
    delay = base * random.uniform(0.8, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, _MAX_RETRY_AFTER))
    return delay


async def _sleep(delay: float, *events: asyncio.Event) -> None:
    """Sleep `delay` seconds or until one of `events` is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter


def _is_auth_error(exc: PerfexRejected) -> bool:
    return exc.status in (401, 403)


async def _poll_while_held(
    job: PollJob, timing: Timing, lock: ResourceLock, stop: asyncio.Event
) -> bool:
    """Poll until stop or lock loss; False when the token was refused (stop for good)."""
    reconciles = has_list(job.resource)
    next_reconcile = time.monotonic()
    failures = 0
    while not stop.is_set() and not lock.lost.is_set():
        delay = timing.poll_interval
        try:
            result = await poll_created(job)
            fired = result.fired
            if reconciles and time.monotonic() >= next_reconcile:
                fired += await reconcile(job)
                next_reconcile = time.monotonic() + timing.reconcile_interval
            failures = 0
            await write_status(
                job.redis,
                job.resource,
                PollerState.OK,
                success=True,
                cursor=result.cursor,
                fired=fired,
                lag=result.lag,
            )
        except PerfexRejected as exc:
            if _is_auth_error(exc):
                logger.error(
                    "Perfex refused the token polling %s (%s): this resource is no "
                    "longer polled; fix BRIDGE_PERFEX_TOKEN and restart",
                    job.resource,
                    exc.status,
                )
                await write_status(
                    job.redis, job.resource, PollerState.UNAUTHORIZED, error=str(exc)
                )
                return False
            failures += 1
            delay = backoff_delay(failures, timing)
            logger.error("polling %s refused: %s; retrying in %.1fs", job.resource, exc, delay)
            await write_status(job.redis, job.resource, PollerState.BACKOFF, error=str(exc))
        except (PerfexUnavailable, PerfexRateLimited, StoreUnavailable, RedisError, OSError) as exc:
            failures += 1
            retry_after = exc.retry_after if isinstance(exc, PerfexRateLimited) else None
            body = exc.body if isinstance(exc, MalformedResponse) else ""
            delay = backoff_delay(failures, timing, retry_after)
            if isinstance(exc, MalformedResponse):
                logger.warning(
                    "malformed answer polling %s, body starts %r; retrying in %.1fs",
                    job.resource,
                    body[:200],
                    delay,
                )
            else:
                logger.warning("polling %s failed: %s; retrying in %.1fs", job.resource, exc, delay)
            await write_status(job.redis, job.resource, PollerState.BACKOFF, error=str(exc))
        await _sleep(delay, stop, lock.lost)
    return True


async def run_resource(job: PollJob, timing: Timing, stop: asyncio.Event) -> None:
    """Poll one resource whenever this process holds its lock, until `stop` is set."""
    lock = ResourceLock(job.redis, job.resource, timing.lock_ttl)
    standby_wait = min(timing.poll_interval, timing.lock_ttl) / 2
    announced = False
    while not stop.is_set():
        try:
            held = await lock.acquire()
        except (RedisError, OSError) as exc:
            logger.warning("Redis unavailable taking the lock of %s: %s", job.resource, exc)
            held = False
        if not held:
            if not announced:
                logger.info("%s is polled by another replica; standing by", job.resource)
                announced = True
            await _sleep(standby_wait, stop)
            continue
        announced = False
        try:
            keep_going = await _poll_while_held(job, timing, lock, stop)
        finally:
            await lock.release()
        if not keep_going:
            return
