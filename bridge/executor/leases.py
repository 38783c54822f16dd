"""Job leases: a dead worker's jobs are taken over in seconds, a live one's never.

arq marks a running job with `arq:in-progress:<job>` and lets no other worker start it
while that key exists. arq sets its TTL to the largest function timeout + 10 s (70 s by
default) and never touches it again, so a SIGKILLed worker's step waited over a minute
while other workers sat idle. Here that key becomes a lease: it is set to `LEASE_SECONDS`
(10 s) when the job starts, and every live worker renews the leases of the jobs it is
running every `RENEW_EVERY` seconds, all of them in one pipelined round trip (nothing
at all while it runs none). A worker that dies stops renewing; within `LEASE_SECONDS` its
jobs are free for any worker, which re-runs the step in flight with the same `webhook-id`
and records the lost lease in the run history. A live but slow worker keeps renewing, so
its job is never started twice.

A run the router starts itself (direct.py) has no in-progress key: its job's due time in
arq's queue is its lease, renewed the same way (ZADD XX), so arq skips it while it runs.

PEXPIRE only extends a key that exists: a renewal racing arq's own delete of a finished
job's key cannot bring the lease back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable

from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge.constants import QUEUE_NAME
from bridge.executor.limits import Limiter, renew_slots

logger = logging.getLogger("bridge.executor.leases")

#: Seconds a running job's lease lasts without renewal: how long a dead worker's job waits.
LEASE_SECONDS = 10.0
#: Seconds between renewals by a live worker (a third of the lease: two may fail or lag).
RENEW_EVERY = 3.0

#: This process's name in run records (`inflight.worker`): host, pid and a random part.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_jobs(worker: Worker, lease: float = LEASE_SECONDS) -> Worker:
    """Make `worker` start its jobs with a lease of `lease` s instead of timeout + 10 s."""
    worker.in_progress_timeout_s = lease
    return worker


def running_jobs(worker: Worker) -> list[str]:
    """Ids of the jobs `worker` is running now."""
    return [job_id for job_id, task in list(worker.tasks.items()) if not task.done()]


async def renew(
    redis: Redis,
    job_ids: Iterable[str],
    lease: float = LEASE_SECONDS,
    limiter: Limiter | None = None,
    kept: Iterable[str] = (),
) -> int:
    """Extend the leases of `job_ids` (and the limit slots `limiter` holds, and the due
    time of the `kept` jobs this worker runs without arq: executor/direct.py) in one round
    trip; how many job leases were still held."""
    ids, kept = list(job_ids), list(kept)
    if not ids and not kept and not (limiter is not None and limiter.held):
        return 0
    lease_ms = int(lease * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.pexpire(in_progress_key_prefix + job_id, lease_ms)
        if kept:  # XX: a job its run's last save has deleted stays deleted
            due = int(time.time() * 1000) + lease_ms
            pipe.zadd(QUEUE_NAME, dict.fromkeys(kept, due), xx=True)
        if limiter is not None:
            await renew_slots(limiter, pipe)
        results = await pipe.execute()
    return sum(1 for held in results[: len(ids)] if held)


async def keep_renewing(
    redis: Redis,
    worker: Callable[[], Worker],
    stop: asyncio.Event,
    *,
    lease: float = LEASE_SECONDS,
    every: float = RENEW_EVERY,
    kept: Callable[[], Iterable[str]] = tuple,
    limiter: Limiter | None = None,
) -> None:
    """Every `every` s until `stop`, renew the leases of the jobs `worker()` runs, of the
    jobs run without arq (`kept()`) and of the limit slots `limiter` holds."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
            return
        try:
            await renew(redis, running_jobs(worker()), lease, limiter, list(kept()))
        except (RedisError, OSError) as exc:
            logger.warning("could not renew job leases (%s); retrying in %.0f s", exc, every)
