"""A push's Perfex reads take the shared `perfex` limit, as every worker's Perfex calls do.

Without it a burst of pushes would GET the one small PHP server past
`BRIDGE_PERFEX_RATE`/`BRIDGE_PERFEX_CONCURRENCY`, and go on calling it while its circuit
breaker is open. Each read (the record's GET, and the one list row that teaches a
resource its fingerprint columns) takes an admission of the target `perfex`
(bridge/executor/limits.py: the same Redis keys and settings the workers use) and waits
for one at most `ADMIT_WAIT` seconds, in `asyncio.sleep`, so the web's event loop goes on
serving. Past that, or with the circuit open, it raises PerfexBusy and the delivery is
answered 503 with nothing stored: the module delivers it again later. The read's outcome
feeds the breaker as a worker's would: network errors, timeouts and 5xx are failures, a
429 is neutral, any other answer a success; a push may be the half-open probe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from redis.asyncio import Redis

from bridge.exceptions import PerfexBusy, PerfexError, PerfexRateLimited, PerfexUnavailable
from bridge.executor import limits
from bridge.executor.limits import Admission, Limiter, Outcome, perfex_limits
from bridge.perfex.client import PerfexClient
from bridge.poller.source import LIST_PAGE_SIZE, ListPage, PerfexSource
from bridge.settings import Settings

logger = logging.getLogger("bridge.push.admit")

T = TypeVar("T")

TARGET = "perfex"
#: Seconds a push waits for an admission before it is answered 503 (the module waits for
#: our answer, and a waiting push holds a connection of the web).
ADMIT_WAIT = 2.0
#: Timeout of the GET that completes a delivery (the module waits for our answer).
FETCH_TIMEOUT = 10.0
#: A push's concurrency slot lasts this long unreleased: no one renews it, so it must
#: outlast the read it covers (FETCH_TIMEOUT) with a margin.
LEASE_SECONDS = 3 * FETCH_TIMEOUT
#: The workers' breaker (`jobs.Tuning` defaults to the same constants).
BREAKER_THRESHOLD = limits.BREAKER_THRESHOLD
BREAKER_COOLDOWN = limits.BREAKER_COOLDOWN


def push_limiter(settings: Settings, redis: Redis) -> Limiter:
    """A limiter on the shared `perfex` limit for one push (cheap: no round trip)."""
    return Limiter(
        redis,
        perfex=perfex_limits(settings),
        lease_seconds=LEASE_SECONDS,
        breaker_threshold=BREAKER_THRESHOLD,
        breaker_cooldown=BREAKER_COOLDOWN,
        max_wait=ADMIT_WAIT,
    )


class AdmittedSource(PerfexSource):
    """The push's view of Perfex: every read first takes an admission of `perfex`."""

    def __init__(self, client: PerfexClient, limiter: Limiter) -> None:
        super().__init__(client)
        self.limiter = limiter

    async def get(self, resource: str, rid: str) -> dict[str, Any] | None:
        read = partial(super().get, resource, rid)
        return await self._admitted(read, f"/{resource}/{rid}")

    async def list_page(
        self,
        resource: str,
        *,
        page: int | None = None,
        per_page: int = LIST_PAGE_SIZE,
        fields: list[str] | None = None,
        sort: str | None = None,
    ) -> ListPage:
        read = partial(
            super().list_page, resource, page=page, per_page=per_page, fields=fields, sort=sort
        )
        return await self._admitted(read, f"/{resource}")

    async def _admitted(self, read: Callable[[], Awaitable[T]], path: str) -> T:
        admission = await self.limiter.acquire(TARGET)
        if not admission.admitted:
            why = "its circuit breaker is open" if admission.breaker_open else "it is busy"
            raise PerfexBusy(
                f"not sent: the shared Perfex limit did not admit it ({why})",
                breaker_open=admission.breaker_open,
                method="GET",
                path=path,
            )
        outcome: Outcome = "neutral"
        try:
            result = await read()
            outcome = "ok"
            return result
        except PerfexRateLimited:
            raise
        except PerfexUnavailable:
            outcome = "fail"
            raise
        except PerfexError:
            outcome = "ok"  # Perfex answered (404, 401, ...): it is up
            raise
        finally:
            await _release(self.limiter, admission, outcome)


async def _release(limiter: Limiter, admission: Admission, outcome: Outcome) -> None:
    try:
        await limiter.release(admission, outcome)
    except Exception:  # the lease expires by itself; never lose the push over it
        logger.exception("could not release the %s limit", admission.target)
