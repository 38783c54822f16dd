"""The retry policy: the default schedule, overrides, Retry-After, what is retryable."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bridge.exceptions import (
    DeliveryError,
    PerfexRateLimited,
    PerfexRejected,
    PerfexUnavailable,
    TargetRefused,
    TemplateError,
)
from bridge.executor.retry import (
    DEFAULT_ATTEMPTS,
    DEFAULT_DELAYS,
    RetryPolicy,
    next_delay,
    parse_retry_after,
    policy_for,
)
from bridge.executor.retry import is_retryable as retryable


@dataclass
class Override:
    attempts: int
    backoff: float | None = None
    max_delay: float | None = None


def test_default_schedule_spans_about_a_day() -> None:
    """The default policy: 8 attempts, from seconds to hours, about a day in all."""
    assert DEFAULT_ATTEMPTS == 8
    assert DEFAULT_DELAYS[0] == 5
    assert list(DEFAULT_DELAYS) == sorted(DEFAULT_DELAYS)
    assert 20 * 3600 <= sum(DEFAULT_DELAYS) <= 30 * 3600


def test_jitter_stays_within_twenty_percent() -> None:
    """Each delay is the schedule's, give or take 20 %."""
    policy = RetryPolicy()
    for _ in range(200):
        assert 4.0 <= policy.delay(1) <= 6.0
        assert 240.0 <= policy.delay(2) <= 360.0


def test_override_with_backoff_grows_to_its_ceiling() -> None:
    """`retry: {attempts, backoff, max_delay}` doubles from backoff up to max_delay."""
    policy = policy_for(Override(attempts=6, backoff=1, max_delay=5))
    assert policy.attempts == 6
    assert policy.delays == (1, 2, 4, 5, 5)
    assert policy.exhausted(6) and not policy.exhausted(5)


def test_override_of_attempts_keeps_the_schedule() -> None:
    """`retry: {attempts: 12}` keeps the default delays (the last one repeats)."""
    policy = policy_for(Override(attempts=12))
    assert policy.attempts == 12
    assert policy.delays == DEFAULT_DELAYS


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0", 0.0), ("-5", 0.0), ("soon", None), (None, None), ("9999999", 86400.0)],
)
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    """Retry-After in seconds is read, clamped to [0, one day]; junk is ignored."""
    assert parse_retry_after(header) == seconds


def test_retry_after_http_date() -> None:
    """Retry-After as an HTTP date is the time until that date."""
    assert parse_retry_after("Sun, 29 Nov 2026 12:00:30 GMT", now=1795953600.0) == 30.0


def test_retry_after_is_a_floor_on_the_schedule() -> None:
    """A server asking for 30 s waits at least 30 s, even where the schedule says 5 s."""
    policy = RetryPolicy(jitter=0)
    assert next_delay(policy, 1, PerfexRateLimited("slow down", retry_after=30)) == 30
    assert next_delay(policy, 2, PerfexRateLimited("slow down", retry_after=30)) == 300


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PerfexUnavailable("timeout"), True),
        (PerfexRateLimited("429", retry_after=3), True),
        (DeliveryError("503", retryable=True, status=503), True),
        (PerfexRejected("404 status false", status=404), False),
        (DeliveryError("410 gone", retryable=False, status=410), False),
        (TargetRefused("10.0.0.1 is private"), False),
        (TemplateError("event.data.nme is undefined"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_retryable_failures_retry(error: BaseException, expected: bool) -> None:
    """Network, timeout, 429 and 5xx retry; 4xx, refused targets and template errors don't."""
    assert retryable(error) is expected
