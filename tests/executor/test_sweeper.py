"""The sweeper re-queues unfinished runs whose arq job vanished, and nothing else."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bridge.constants import QUEUE_NAME
from bridge.executor import sweeper
from bridge.executor.history import RunStore
from bridge.executor.records import Run, RunStatus


async def _old_run(store: RunStore, run_id: str, status: RunStatus) -> None:
    then = time.time() - 1000
    run = Run(run_id, "ev", "perfex.leads.created", "r", status=status.value)
    run.created = run.updated = then
    await store.create_many([run])


async def test_a_run_whose_job_expired_gets_a_new_one(redis: Redis) -> None:
    """Queued run, job key gone (arq expiry): a fresh job, dispatch 1; then left alone."""
    store = RunStore(redis, 3600)
    await _old_run(store, "ev:r", RunStatus.queued)
    assert await sweeper.rescue(store) == []  # its job is still there
    await redis.delete("arq:job:run:ev:r:0")
    await redis.zrem(QUEUE_NAME, "run:ev:r:0")
    assert await sweeper.rescue(store) == ["ev:r"]
    assert await redis.zscore(QUEUE_NAME, "run:ev:r:1") is not None
    run = await store.load("ev:r")
    assert run is not None and run.dispatch == 1
    assert await sweeper.rescue(store) == []


async def test_finished_and_recent_runs_are_not_touched(redis: Redis) -> None:
    """A finished run is never re-queued; a jobless one only after the grace period."""
    store = RunStore(redis, 3600)
    await _old_run(store, "done:r", RunStatus.succeeded)
    await redis.delete("arq:job:run:done:r:0")
    fresh = Run("new:r", "new", "perfex.leads.created", "r")
    await store.create_many([fresh])
    await redis.delete("arq:job:run:new:r:0")
    assert await sweeper.rescue(store) == []  # "new:r" is within the grace period
    assert await sweeper.rescue(store, grace=0.0) == ["new:r"]
