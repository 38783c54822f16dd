"""The safety net: re-queue runs that are unfinished but have no arq job any more.

Normally every unfinished run owns exactly one arq job (`run:<run>:<dispatch>`), written
in the same transaction as the record. A job can still vanish: its key expires when no
worker ran for a day past its start time (arq's job expiry), or arq itself gave up on it
(an unexpected exception escaped, `max_tries`). The router calls `rescue` every minute:
a run that is queued, running or retrying, unchanged for `grace` seconds, and whose
current job is gone gets a fresh job (dispatch + 1) now. The check and the write are one
WATCHed transaction on the run, so a worker saving the run meanwhile wins.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import WatchError

from bridge.executor import keys
from bridge.executor.history import RunStore, run_key
from bridge.executor.records import Run, RunStatus, job_id_for

logger = logging.getLogger("bridge.executor.sweeper")

#: Seconds a run must sit unchanged before its missing job counts as lost.
GRACE = 300.0
_WAITING = (RunStatus.queued, RunStatus.running, RunStatus.retrying)


async def rescue(store: RunStore, grace: float = GRACE, limit: int = 500) -> list[str]:
    """Give every lost run a new job; the ids of the runs rescued."""
    redis: Redis = store.redis
    cutoff = time.time() - grace
    rescued: list[str] = []
    for status in _WAITING:
        ids = await redis.zrangebyscore(
            keys.RUNS_BY_STATUS + status.value, "-inf", cutoff, start=0, num=limit
        )
        for raw_id in ids:
            run_id = raw_id.decode()
            if await _rescue_one(store, run_id, status, cutoff):
                rescued.append(run_id)
    if rescued:
        logger.warning("re-queued %d run(s) whose job was lost: %s", len(rescued), rescued[:10])
    return rescued


async def _rescue_one(store: RunStore, run_id: str, status: RunStatus, cutoff: float) -> bool:
    async with store.redis.pipeline(transaction=True) as pipe:
        try:
            await pipe.watch(run_key(run_id))
            raw = await pipe.get(run_key(run_id))
            if not raw:
                await pipe.zrem(keys.RUNS_BY_STATUS + status.value, run_id)  # expired
                return False
            run = Run.from_json(raw)
            if run.status not in _WAITING or run.updated > cutoff:
                return False
            if await pipe.exists(keys.ARQ_JOB + job_id_for(run.id, run.dispatch)):
                return False
            old = run.status
            run.dispatch += 1
            pipe.multi()  # type: ignore[no-untyped-call]
            store.stage(pipe, run, old, counters={"runs_rescued": 1}, enqueue_after=0.0)
            await pipe.execute()
        except WatchError:
            return False
    return True
