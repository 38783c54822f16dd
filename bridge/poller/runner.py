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

from bridge import constants
from bridge.events import Event
from bridge.exceptions import (
    ListUnsupported,
    PerfexRateLimited,
    PerfexRejected,
    PerfexUnavailable,
    StoreUnavailable,
)
from bridge.poller import keys
from bridge.poller.created import PollJob, PollResult, poll_created
from bridge.poller.listed import poll_listed
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
    #: Seconds of failing in a row after which `bridge.poller.stopped` is emitted.
    stopped_after: float = 600.0


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


async def emit_stopped(job: PollJob, error: str, since: float) -> None:
    """Store `bridge.poller.stopped` (once per failure streak: its id carries the start)."""
    event = Event(
        id=f"bridge:poller:stopped:{job.resource}:{int(since)}",
        type="bridge.poller.stopped",
        source="bridge",
        data={"resource": job.resource, "error": error[:500]},
    )
    try:
        if await job.store.store(event):
            logger.error("%s: poller stopped event stored: %s", job.resource, error[:200])
    except (StoreUnavailable, RedisError, OSError) as exc:
        logger.warning("could not store the poller stopped event of %s: %s", job.resource, exc)


async def _list_missing(job: PollJob, exc: ListUnsupported) -> None:
    """Say once (log and status) that the module has no list for this resource."""
    job.list_ok = False
    logger.warning(
        "%s: %s; %s (upgrade the Perfex API module and restart the poller for them)",
        job.resource,
        exc.message,
        "new records still come from the Zapier poll, no updated/deleted events"
        if job.resource in keys.ZAPIER
        else "this resource gives no events",
    )
    try:
        await job.redis.hset(  # type: ignore[misc]
            constants.POLLER_STATUS + job.resource, "list", f"unsupported: {exc.message}"[:500]
        )
    except (RedisError, OSError) as err:
        logger.warning("could not write the poller status of %s: %s", job.resource, err)


async def _one_pass(job: PollJob, reconcile_due: bool) -> tuple[PollResult, bool]:
    """Creations, then (when due) a reconcile; (result, whether a reconcile ran)."""
    if job.resource in keys.ZAPIER:
        result = await poll_created(job)
    else:
        result = await poll_listed(job)
    ran = False
    if reconcile_due and job.list_ok and has_list(job.resource):
        result.fired += await reconcile(job)
        ran = True
    return result, ran


async def _poll_while_held(
    job: PollJob, timing: Timing, lock: ResourceLock, stop: asyncio.Event
) -> bool:
    """Poll until stop or lock loss; False to stop for good (token refused, or a resource
    outside the Zapier poll whose list the module does not have)."""
    next_reconcile = time.monotonic()
    failures = 0
    failing_since: float | None = None
    while not stop.is_set() and not lock.lost.is_set():
        delay = timing.poll_interval
        try:
            try:
                result, ran = await _one_pass(job, time.monotonic() >= next_reconcile)
            except ListUnsupported as exc:
                await _list_missing(job, exc)
                if job.resource not in keys.ZAPIER:
                    await write_status(job.redis, job.resource, PollerState.UNSUPPORTED)
                    return False  # nothing left to poll for this resource
                continue
            fired = result.fired
            if ran:
                next_reconcile = time.monotonic() + timing.reconcile_interval
            failures = 0
            failing_since = None
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
                # replicas refused within the same 10 minutes share one event id
                bucket = time.time() // 600 * 600
                await emit_stopped(job, f"Perfex refused the token: {exc}", bucket)
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
        if failures:
            failing_since = failing_since or time.time()
            if time.time() - failing_since >= timing.stopped_after:
                error = (await _last_error(job)) or "polling keeps failing"
                await emit_stopped(job, error, failing_since)
        await _sleep(delay, stop, lock.lost)
    return True


async def _last_error(job: PollJob) -> str | None:
    try:
        raw = await job.redis.hget(  # type: ignore[misc]
            constants.POLLER_STATUS + job.resource, "last_error"
        )
    except (RedisError, OSError):
        return None
    return raw.decode() if isinstance(raw, bytes) else raw


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
