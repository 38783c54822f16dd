"""The worker process: the arq worker, the router and the rules watcher in one event loop.

    bridge worker                      -> run_worker(settings)   (blocking)
    await run_worker_async(settings, redis_url, stop)            (for `bridge up`)

Every worker also runs the scheduler of `on: schedule` rules (`bridge.scheduler`): any
number of workers fire each tick once, since they coordinate through Redis alone.

arq is tuned for latency: `poll_delay` 0.02 s, `max_jobs` = BRIDGE_WORKER_CONCURRENCY,
JSON jobs, results not kept (the run records are the idempotency store). A run the router
creates starts right here when there is room, under a leased job that arq skips while this
worker renews it (bridge/executor/direct.py); arq runs what needs a queue: retries,
delays, deferrals, child runs, replays, and the jobs of a worker that died.

Stopping: SIGTERM/SIGINT set `stop`; the router stops reading, arq stops picking jobs and
gives running ones (its own and the router's) `COMPLETION_WAIT` seconds, then cancels and
re-queues the rest (arq's `retry_jobs`; `DirectRunner.stop`); their runs resume from their
checkpoints. A worker killed with SIGKILL loses nothing either: its jobs stay in arq's
queue and run again on another worker once their lease lapses (`arq:in-progress:<job>`,
or the due time of a job the router kept), at most 10 s later (a live worker renews the
leases of its running jobs every 3 s: bridge/executor/leases.py); the step in flight is
sent again with the same `webhook-id` and recorded as interrupted (a lost lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker
from redis.exceptions import RedisError

from bridge import constants
from bridge.connection import redis_server
from bridge.events import EventStore
from bridge.exceptions import StoreUnavailable
from bridge.executor import history, jobs, leases, queueing
from bridge.executor.direct import DirectRunner
from bridge.executor.router import Router
from bridge.executor.runner import Executor, RulesSource
from bridge.settings import Settings

logger = logging.getLogger("bridge.workers.worker")

#: Seconds arq waits for running jobs on SIGTERM before handing them back.
COMPLETION_WAIT = 20
#: arq's queue poll interval (seconds): the floor of enqueue-to-start latency.
POLL_DELAY = 0.02
#: How often index entries of expired records are pruned (at most; a quarter of the
#: retention when that is shorter).
PRUNE_INTERVAL = 3600.0


def make_worker(
    settings: Settings,
    pool: ArqRedis,
    executor: Executor,
    *,
    tuning: jobs.Tuning | None = None,
    handle_signals: bool = False,
    max_jobs: int | None = None,
) -> Worker:
    """An arq Worker on `pool` whose ctx carries the process's executor (it outlives the
    Worker: after a Redis outage a fresh Worker gets the same one, and so do the runs the
    router starts meanwhile)."""
    tuning = tuning or jobs.Tuning()
    job_timeout = tuning.job_timeout

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["executor"] = executor

    worker = Worker(
        jobs.functions(job_timeout),
        queue_name=constants.QUEUE_NAME,
        redis_pool=pool,
        on_startup=startup,
        handle_signals=handle_signals,
        job_completion_wait=COMPLETION_WAIT,
        max_jobs=max_jobs or settings.worker_concurrency,
        job_timeout=job_timeout,
        keep_result=0,
        poll_delay=POLL_DELAY,
        max_tries=jobs.ARQ_MAX_TRIES,
        health_check_interval=60,
        retry_jobs=True,
        job_serializer=queueing.serialize,
        job_deserializer=queueing.deserialize,
        log_results=False,
    )
    return leases.lease_jobs(worker, tuning.lease_seconds)


async def create_pool(redis_url: str) -> ArqRedis:
    """arq's Redis pool (a redis.asyncio.Redis) with the bridge's JSON jobs."""
    from arq.connections import create_pool as arq_create_pool

    pool: ArqRedis = await arq_create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=queueing.serialize,
        job_deserializer=queueing.deserialize,
        default_queue_name=constants.QUEUE_NAME,
    )
    return pool


async def run_worker_async(
    settings: Settings,
    redis_url: str,
    stop: asyncio.Event,
    *,
    rules: RulesSource | None = None,
    tuning: jobs.Tuning | None = None,
    completion_wait: float = COMPLETION_WAIT,
) -> None:
    """Run worker + router (+ the rules watcher unless `rules` is given) until `stop`."""
    tuning = tuning or jobs.Tuning(job_timeout=settings.job_timeout)
    pool = await create_pool(redis_url)
    watcher: Any = None
    if rules is None:
        from bridge.rules import RulesWatcher

        watcher = RulesWatcher(settings.rules)
        watcher.load_now()
        for problem in watcher.errors:
            logger.error("rules: %s", problem)
        watcher.start()
        rules = watcher
    store = history.RunStore(pool, int(settings.retention_days * 86400))
    executor = jobs.build_executor(pool, settings, rules, tuning)
    arq = _ArqSupervisor(lambda: make_worker(settings, pool, executor, tuning=tuning))
    direct = DirectRunner(executor, lambda: arq.worker, tuning.lease_seconds)
    router = Router(pool, rules, store, direct=direct)
    renewing = asyncio.Event()  # set once arq has finished or handed back every job
    tasks = [
        asyncio.create_task(arq.run(stop), name="arq-worker"),
        asyncio.create_task(router.run(stop), name="router"),
        asyncio.create_task(_prune(pool, settings, stop), name="history-prune"),
        asyncio.create_task(
            leases.keep_renewing(
                pool,
                lambda: arq.worker,
                renewing,  # not `stop`: jobs finishing after SIGTERM keep their leases
                lease=tuning.lease_seconds,
                every=tuning.lease_renew,
                kept=lambda: direct.running,
                limiter=executor.limiter,
            ),
            name="job-leases",
        ),
        asyncio.create_task(_schedule(pool, rules, settings, stop), name="scheduler"),
    ]
    logger.info("worker started: router %s, up to %d jobs", router.consumer, arq.worker.max_jobs)
    try:
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        for task in done:
            error = None if task is waiter else task.exception()
            if error is not None:
                raise error
    finally:
        stop.set()
        await asyncio.gather(arq.drain(completion_wait), direct.stop(completion_wait))
        await _close(arq.worker)
        renewing.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await jobs.close_executor(executor)
        if watcher is not None:
            await watcher.stop()
        await pool.aclose()
        logger.info("worker stopped")


class _ArqSupervisor:
    """Keeps an arq Worker running across Redis outages.

    arq's poll loop raises on a lost connection and its Worker cannot be started twice, so
    a fresh Worker (on the same pool) is started after a backoff; the jobs it had stay in
    arq's queue and run again (pessimistic execution), resuming from their checkpoints.
    """

    def __init__(self, make: Callable[[], Worker]) -> None:
        self.make = make
        self.worker = make()

    async def run(self, stop: asyncio.Event) -> None:
        delay = 1.0
        while not stop.is_set():
            try:
                await self.worker.async_run()
                return
            except (RedisError, OSError) as exc:
                logger.warning("worker: lost Redis (%s); restarting in %.0f s", exc, delay)
                await _close(self.worker)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
                return
            delay = min(delay * 2, 30.0)
            self.worker = self.make()

    async def drain(self, completion_wait: float) -> None:
        """Stop picking jobs and give running ones `completion_wait` s (`_close` then hands
        back the rest)."""
        self.worker.allow_pick_jobs = False
        running = [t for t in self.worker.tasks.values() if not t.done()]
        if running:
            await asyncio.wait(running, timeout=completion_wait)


async def _close(worker: Worker) -> None:
    """arq's Worker.close, minus closing the pool (shared) and tolerant of a lost Redis."""
    worker.handle_sig(signal.SIGUSR1)  # cancels running jobs; arq re-queues them
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    with contextlib.suppress(RedisError, OSError):
        await worker.pool.delete(worker.health_check_key)
    if worker.on_shutdown:
        await worker.on_shutdown(worker.ctx)


async def _prune(pool: ArqRedis, settings: Settings, stop: asyncio.Event) -> None:
    """Drop index entries whose records have expired, so Redis memory stays flat."""
    retention = settings.retention_days * 86400
    events = EventStore(pool, int(retention))
    interval = min(PRUNE_INTERVAL, max(retention / 4, 1.0))
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
            return
        try:
            removed = await history.prune(pool, retention) + await events.prune()
        except (RedisError, OSError, StoreUnavailable) as exc:
            logger.warning("index prune skipped: %s", exc)
            continue
        logger.debug("pruned %d index entries of expired records", removed)


async def _schedule(
    pool: ArqRedis, rules: RulesSource, settings: Settings, stop: asyncio.Event
) -> None:
    """Fire `on: schedule` ticks (bridge/scheduler): every worker runs it, Redis dedupes."""
    from bridge.scheduler.service import Scheduler

    events = EventStore(pool, int(settings.retention_days * 86400))
    await Scheduler(pool, rules, events).run(stop)


def run_worker(settings: Settings, *, job_timeout: float | None = None) -> int:
    """`bridge worker`: block until SIGTERM/SIGINT; 0 on a clean stop."""

    async def main(url: str) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        tuning = jobs.Tuning(job_timeout=job_timeout) if job_timeout else None
        await run_worker_async(settings, url, stop, tuning=tuning)

    with redis_server(settings) as url:
        asyncio.run(main(url))
    return 0
