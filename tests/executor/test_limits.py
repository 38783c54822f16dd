"""Shared limits in Redis: leased semaphore, token bucket, circuit breaker; and the schedule."""

from __future__ import annotations

import asyncio
import email.utils
import time

import pytest
from redis.asyncio import Redis

from bridge.exceptions import DeliveryError, PerfexRateLimited, PerfexRejected, TemplateError
from bridge.executor.limits import Limiter, TargetLimits
from bridge.executor.retry import (
    DEFAULT_DELAYS,
    RetryPolicy,
    is_retryable,
    next_delay,
    parse_retry_after,
    policy_for,
)
from bridge.rules.model import RetryOverride


def _limiter(redis: Redis, **kw: object) -> Limiter:
    defaults: dict[str, object] = {
        "perfex": TargetLimits(concurrency=2, rate=1000.0, burst=1000.0),
        "lease_seconds": 0.3,
        "breaker_threshold": 3,
        "breaker_cooldown": 0.3,
        "max_wait": 0.05,
    }
    return Limiter(redis, **{**defaults, **kw})  # type: ignore[arg-type]


async def test_concurrency_is_shared_and_leases_expire(redis: Redis) -> None:
    """Two slots: a third request waits; a slot of a dead holder frees when its lease ends."""
    one, two = _limiter(redis), _limiter(redis)  # two workers
    first, second = await one.try_admit("perfex"), await two.try_admit("perfex")
    assert first.admitted and second.admitted
    assert not (await one.acquire("perfex")).admitted
    await one.release(first, "ok")
    third = await two.acquire("perfex")
    assert third.admitted
    await asyncio.sleep(0.35)  # `second` and `third` were never released: their holder "died"
    assert (await one.try_admit("perfex")).admitted


async def test_rate_is_a_token_bucket(redis: Redis) -> None:
    """At 5/s with a burst of 2, the third immediate request is told how long to wait."""
    limiter = _limiter(redis, perfex=TargetLimits(rate=5.0, burst=2.0))
    assert (await limiter.try_admit("perfex")).admitted
    assert (await limiter.try_admit("perfex")).admitted
    refused = await limiter.try_admit("perfex")
    assert not refused.admitted and not refused.breaker_open
    assert 0 < refused.wait <= 0.2
    await asyncio.sleep(refused.wait + 0.01)
    assert (await limiter.try_admit("perfex")).admitted


async def test_breaker_opens_probes_once_and_closes(redis: Redis) -> None:
    """3 failures open it; after the cool-down one probe goes; its success closes it."""
    limiter = _limiter(redis)
    target = "host:example.test:443"
    for _ in range(3):
        admission = await limiter.try_admit(target)
        assert admission.admitted
        await limiter.release(admission, "fail")
    closed = await limiter.try_admit(target)
    assert closed.breaker_open and closed.wait > 0
    await asyncio.sleep(0.35)
    probe = await limiter.try_admit(target)
    assert probe.admitted and probe.probe
    assert (await limiter.try_admit(target)).breaker_open  # only one probe at a time
    await limiter.release(probe, "ok")
    assert (await limiter.try_admit(target)).admitted


async def test_a_failed_probe_opens_the_breaker_again(redis: Redis) -> None:
    """The half-open probe failing re-opens the breaker for a new cool-down."""
    limiter = _limiter(redis)
    target = "host:example.test:80"
    for _ in range(3):
        await limiter.release(await limiter.try_admit(target), "fail")
    await asyncio.sleep(0.35)
    probe = await limiter.try_admit(target)
    assert probe.probe
    assert await limiter.release(probe, "fail")
    assert (await limiter.try_admit(target)).breaker_open


def test_default_schedule_has_jitter_within_20_percent() -> None:
    """The default delays follow Svix's schedule (about a day in all), +-20 %."""
    policy = RetryPolicy()
    assert policy.attempts == 8
    assert 20 * 3600 <= sum(DEFAULT_DELAYS) <= 30 * 3600
    for n, base in enumerate(DEFAULT_DELAYS, start=1):
        for _ in range(20):
            assert 0.8 * base <= policy.delay(n) <= 1.2 * base
    assert policy.exhausted(8) and not policy.exhausted(7)


def test_override_backoff_and_attempts() -> None:
    """`retry: {attempts, backoff, max_delay}` gives exponential delays up to the ceiling."""
    policy = policy_for(RetryOverride(attempts=5, backoff=1, max_delay=3))
    assert policy.attempts == 5 and policy.delays == (1, 2, 3, 3)
    only_attempts = policy_for(RetryOverride(attempts=12))
    assert only_attempts.attempts == 12 and only_attempts.delays == DEFAULT_DELAYS


def test_retry_after_is_a_floor_and_parsed_both_ways() -> None:
    """Retry-After in seconds or as a date; the next delay is never shorter than it."""
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("junk") is None and parse_retry_after(None) is None
    assert parse_retry_after("9999999") == 86400.0
    soon = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= (parse_retry_after(soon) or 0) <= 61
    policy = RetryPolicy(attempts=3, delays=(0.01,), jitter=0)
    error = DeliveryError("429", retryable=True, status=429, retry_after=3.0)
    assert next_delay(policy, 1, error) == 3.0
    assert next_delay(policy, 1, PerfexRateLimited("slow down", retry_after=2.0)) == 2.0


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (DeliveryError("x", retryable=True, status=503), True),
        (DeliveryError("x", retryable=False, status=410), False),
        (PerfexRateLimited("x"), True),
        (PerfexRejected("x", status=404), False),
        (TemplateError("x"), False),
        (ValueError("bug"), False),
    ],
)
def test_only_transient_failures_are_retryable(error: Exception, retryable: bool) -> None:
    """Network/timeout/429/5xx retry; 4xx, template errors and bugs do not."""
    assert is_retryable(error) is retryable
