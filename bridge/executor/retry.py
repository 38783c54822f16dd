"""When to try a failed step again, and whether to try at all.

The default schedule is Svix's: immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
and 10 h (8 attempts over about 27 hours: a receiver down for a day still gets its
events), each delay with +-20 % jitter.

Why the executor keeps its own attempt count instead of arq's `max_tries`/`Retry`: arq's
`job_try` also counts crashes and SIGTERM hand-backs, its job key expires a day after the
defer time and its retry counter after 88,400 s, so a schedule longer than a day cannot
ride on one arq job. Each retry is therefore a *fresh* deferred arq job (`run:<run>:<n>`,
`n` the run's dispatch number), written in the same Redis transaction as the checkpoint
that schedules it; the attempt count lives in the run record (see `runner.py`).

A step's `retry:` override (`attempts`, optional `backoff` and `max_delay`) replaces the
schedule: with `backoff`, delays grow `backoff * 2**(n-1)` up to `max_delay`; without it,
the default schedule is cut (or extended with its last delay) to `attempts`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass

from bridge.exceptions import BridgeError, DeliveryError, PerfexRateLimited, TemplateError

logger = logging.getLogger("bridge.executor.retry")

#: Delays before attempts 2, 3, ... (the first attempt is immediate).
DEFAULT_DELAYS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
#: Attempts in all by default: the first plus one per delay.
DEFAULT_ATTEMPTS = len(DEFAULT_DELAYS) + 1
#: Jitter applied to each delay (+-20 %).
JITTER = 0.2
#: Longest wait a `Retry-After` may impose (one day); longer values are clamped.
RETRY_AFTER_CAP = 86400.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts a step gets and how long to wait before each retry."""

    attempts: int = DEFAULT_ATTEMPTS
    #: Delay before attempt n+2 is delays[n]; the last one repeats if attempts need more.
    delays: tuple[float, ...] = DEFAULT_DELAYS
    jitter: float = JITTER

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after `failed_attempts` failures (>= 1), jitter included."""
        if not self.delays:
            return 0.0
        base = self.delays[min(failed_attempts, len(self.delays)) - 1]
        if self.jitter:
            base *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(0.0, base)

    def exhausted(self, failed_attempts: int) -> bool:
        """Whether no attempt is left after this many failures."""
        return failed_attempts >= self.attempts


def policy_for(override: object | None, default: RetryPolicy | None = None) -> RetryPolicy:
    """The policy of a step: its `retry:` override (a RetryOverride) or the default."""
    default = default or RetryPolicy()
    if override is None:
        return default
    attempts = int(getattr(override, "attempts", default.attempts))
    backoff: float | None = getattr(override, "backoff", None)
    max_delay: float | None = getattr(override, "max_delay", None)
    if backoff is not None:
        ceiling = max_delay if max_delay is not None else max(default.delays or (backoff,))
        delays = tuple(min(backoff * 2**n, ceiling) for n in range(max(attempts - 1, 1)))
    else:
        delays = default.delays
        if max_delay is not None:
            delays = tuple(min(d, max_delay) for d in delays)
    return RetryPolicy(attempts=attempts, delays=delays, jitter=default.jitter)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (now if now is not None else time.time())
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def is_retryable(exc: BaseException) -> bool:
    """Whether a step failure is worth another attempt (network, timeout, 429, 5xx)."""
    if isinstance(exc, TemplateError):
        return False
    if isinstance(exc, BridgeError):
        return bool(exc.retryable)
    return False


def retry_after(exc: BaseException) -> float | None:
    """The server's requested wait, where the failure carries one."""
    if isinstance(exc, PerfexRateLimited | DeliveryError):
        return exc.retry_after
    return None


def next_delay(policy: RetryPolicy, failed_attempts: int, exc: BaseException) -> float:
    """The wait before the next attempt: the schedule, but never less than `Retry-After`.

    `Retry-After` is honoured as a floor (clamped to a day): a server that asks for 3 s
    gets at least 3 s even when the schedule says "now"; a schedule longer than the
    server's ask is kept, since it exists to spare a struggling target.
    """
    delay = policy.delay(failed_attempts)
    asked = retry_after(exc)
    if asked is not None:
        delay = max(delay, min(asked, RETRY_AFTER_CAP))
    return delay
