"""Routed runs start in the worker that routed them, when it has room: no arq round trip.

The router creates every run with its arq job, in one script call, as always
(`RunStore.create_many`). A run it keeps for itself gets a job that comes due only a lease
(`leases.LEASE_SECONDS`) from now: arq skips the job while this worker runs the run and
pushes that due time forward with its other leases every few seconds (`leases.renew`).
The save that ends the pickup deletes the job in its own transaction. So a kept run has
the guarantees of a job: if this worker dies, it stops renewing, and within the lease any
worker's arq starts the job and resumes the run from its checkpoint (the step in flight
is sent again with the same webhook-id and recorded as interrupted). What it skips is
arq's round trips for a job that a queue gives nothing: the poll, the in-progress
transaction, the job read, the finish transaction, and the run and event loads.

Room is shared with arq: a kept run counts in the arq worker's `job_counter`, so the two
never run more than `max_jobs` (BRIDGE_WORKER_CONCURRENCY) together, and the router reads
no more new events than there is room for. A backlog waits in the event stream, where any
worker's router can take it. Retries, delays, deferrals, child runs and replays still go
through arq's queue.

On SIGTERM the runs still going after the completion wait are cancelled and their jobs made
due at once (a hand-back, as arq does with its own), so they resume elsewhere without
waiting for the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from arq.worker import Worker
from redis.exceptions import RedisError

from bridge.constants import QUEUE_NAME
from bridge.events import Event
from bridge.exceptions import StoreUnavailable
from bridge.executor import runner
from bridge.executor.records import Run, job_id_for
from bridge.executor.runner import Executor

logger = logging.getLogger("bridge.executor.direct")


class DirectRunner:
    """Runs the runs the router keeps, within the arq worker's room (module docstring)."""

    def __init__(
        self, executor: Executor, worker: Callable[[], Worker], lease_seconds: float
    ) -> None:
        self.executor = executor
        self._worker = worker
        self.lease_ms = int(lease_seconds * 1000)
        #: Runs in progress here, by arq job id (their leases are renewed).
        self.running: dict[str, asyncio.Task[None]] = {}
        self._accepting = True
        self._freed = asyncio.Event()
        self._late: list[str] = []

    def room(self) -> int:
        """How many more runs this worker can take now."""
        worker = self._worker()
        if not self._accepting or not worker.allow_pick_jobs:
            return 0
        return max(worker.max_jobs - worker.job_counter, 0)

    async def wait_for_room(self, within: float) -> None:
        """Until a run here ends or `within` s pass (arq's own jobs end unannounced)."""
        self._freed.clear()
        if self.room() <= 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._freed.wait(), within)

    def start(self, run: Run, event: Event) -> None:
        """Run `run` (just created with a leased job) in a task of its own."""
        job_id = job_id_for(run.id, run.dispatch)
        if not self._accepting:
            self._late.append(job_id)  # stopping: `stop` hands it back
            return
        worker = self._worker()
        worker.job_counter += 1
        task = asyncio.create_task(self._run(run, event, job_id), name=job_id)
        self.running[job_id] = task

        def done(_: asyncio.Task[None]) -> None:
            worker.job_counter -= 1
            self.running.pop(job_id, None)
            self._freed.set()

        task.add_done_callback(done)

    async def _run(self, run: Run, event: Event, job_id: str) -> None:
        try:
            async with asyncio.timeout(self.executor.job_timeout):
                await runner.run_loaded(self.executor, run, event, job=job_id)
        except (RedisError, OSError, StoreUnavailable, TimeoutError) as exc:
            logger.warning("run %s: %s; its job runs again when the lease lapses", run.id, exc)
        except Exception:  # its job stays queued: arq runs it again once the lease lapses
            logger.exception("run %s failed unexpectedly; its job runs again later", run.id)

    async def stop(self, completion_wait: float) -> None:
        """Take no more runs, give running ones `completion_wait` s, hand back the rest."""
        self._accepting = False
        tasks = list(self.running.values())
        if tasks:
            await asyncio.wait(tasks, timeout=completion_wait)
        left = [job_id for job_id, task in self.running.items() if not task.done()]
        for task in list(self.running.values()):
            task.cancel()
        await asyncio.gather(*self.running.values(), return_exceptions=True)
        await self._hand_back(left + self._late)

    async def _hand_back(self, job_ids: list[str]) -> None:
        """Make these jobs due now, for any worker (else they wait for their lease)."""
        if not job_ids:
            return
        now_ms = int(time.time() * 1000)
        try:
            await self.executor.redis.zadd(QUEUE_NAME, dict.fromkeys(job_ids, now_ms), xx=True)
        except (RedisError, OSError) as exc:
            logger.warning(
                "could not hand back %d run(s) (%s); their leases lapse", len(job_ids), exc
            )
        else:
            logger.info("handed back %d run(s) still going at shutdown", len(job_ids))
