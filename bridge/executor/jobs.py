"""The arq side: the job function, and the worker context it runs in.

One arq function, `run_rule(ctx, run_id, dispatch)`, runs one rule for one event (see
`runner.py`). Its timeout is short and explicit (default 60 s); steps are sized to finish
well inside it (a long rule continues in a fresh job), and failures are caught and
classified inside the job, never left to arq (which would treat them as final). A job of
a worker killed with SIGKILL is taken over once its lease lapses (`leases.py`, 10 s).

arq's own `max_tries` is set high (`ARQ_MAX_TRIES`): the run record counts attempts; arq's
`job_try` also counts crashes and hand-backs, and must not end a run early.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from arq import Retry
from arq.worker import Function, func
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge.events import EventStore
from bridge.executor import leases, limits, queueing, runner, webhook
from bridge.executor.history import RunStore
from bridge.executor.limits import Limiter, TargetLimits, perfex_limits
from bridge.executor.runner import Executor, RulesSource
from bridge.rules import budget
from bridge.settings import Settings

logger = logging.getLogger("bridge.executor.jobs")

#: arq function timeout (seconds) unless the worker is given another.
JOB_TIMEOUT = 60.0
#: arq's retry ceiling: only crash loops could reach it; attempts are counted by the runner.
ARQ_MAX_TRIES = 1000
#: Wait before arq retries a job whose Redis bookkeeping failed.
REDIS_RETRY_DELAY = 5.0


@dataclass(frozen=True, slots=True)
class Tuning:
    """Worker knobs beyond Settings, with production defaults (tests shorten them)."""

    #: arq function timeout (a SIGKILLed worker's jobs run again after `lease_seconds`).
    job_timeout: float = JOB_TIMEOUT
    #: Consecutive failures (network, timeout, 5xx) that open a target's circuit.
    breaker_threshold: int = limits.BREAKER_THRESHOLD
    #: Seconds an open circuit pauses its target before one probe may go.
    breaker_cooldown: float = limits.BREAKER_COOLDOWN
    #: Outbound requests in flight to one webhook host, across all workers.
    host_concurrency: int = 64
    #: Seconds a running job's lease lasts unrenewed: a dead worker's jobs wait this long.
    lease_seconds: float = leases.LEASE_SECONDS
    #: Seconds between a live worker's renewals of its jobs' leases.
    lease_renew: float = leases.RENEW_EVERY


async def run_rule(ctx: dict[str, Any], run_id: str, dispatch: int) -> str:
    """arq job: run or resume one run (see runner.run_rule)."""
    executor: Executor = ctx["executor"]
    try:
        return await runner.run_rule(executor, run_id, dispatch)
    except (RedisError, OSError) as exc:
        logger.warning("run %s: Redis failed (%s); arq retries the job", run_id, exc)
        raise Retry(defer=REDIS_RETRY_DELAY) from exc


def functions(job_timeout: float = JOB_TIMEOUT) -> list[Function]:
    """The worker's arq functions with their explicit timeout."""
    return [
        func(
            run_rule,
            name=queueing.FUNCTION,
            timeout=job_timeout,
            max_tries=ARQ_MAX_TRIES,
            keep_result=0,
        )
    ]


def build_executor(
    redis: Redis, settings: Settings, rules: RulesSource, tuning: Tuning | None = None
) -> Executor:
    """The per-process executor: one outbound aiohttp session, one Perfex client, the limits
    (built once per worker process: arq Worker restarts and the router's runs share it)."""
    tuning = tuning or Tuning()
    job_timeout = tuning.job_timeout
    budget.configure(settings.render_timeout, settings.render_max_size)
    retention = int(settings.retention_days * 86400)
    perfex: Any = None
    secrets: tuple[str, ...] = ()
    if settings.perfex_url and settings.perfex_token is not None:
        from bridge.perfex.client import PerfexClient

        token = settings.perfex_token.get_secret_value()
        perfex = PerfexClient(
            settings.perfex_url,
            token,
            timeout=min(30.0, max(job_timeout - 15.0, 1.0)),
            max_connections=settings.perfex_concurrency,
        )
        secrets = (token,)
    limiter = Limiter(
        redis,
        perfex=perfex_limits(settings),
        per_host=TargetLimits(concurrency=tuning.host_concurrency),
        lease_seconds=tuning.lease_seconds,  # renewed while held: executor/leases.py
        breaker_threshold=tuning.breaker_threshold,
        breaker_cooldown=tuning.breaker_cooldown,
    )
    return Executor(
        redis=redis,
        store=RunStore(redis, retention),
        events=EventStore(redis, retention),
        rules=rules,
        http=webhook.make_client(
            settings.allow_private_targets, max_connections=max(settings.worker_concurrency, 10)
        ),
        limiter=limiter,
        perfex=perfex,
        allow_private=settings.allow_private_targets,
        job_timeout=job_timeout,
        secrets=secrets,
        worker_id=leases.WORKER_ID,
    )


async def close_executor(executor: Executor) -> None:
    """Close the executor's HTTP clients."""
    await executor.http.close()
    if executor.perfex is not None:
        await executor.perfex.aclose()
