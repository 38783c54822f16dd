"""Cancelling a run (dashboard button, `POST /api/runs/{id}/cancel`).

A run that is queued, retrying or waiting (parked by a delay) can be cancelled: its
record becomes `cancelled` (a finished status), so the arq job it still owns does nothing
when it comes due. The check and the write are one WATCHed transaction on the record, so
a worker saving the run meanwhile wins and the cancel is refused rather than lost. A
run in the middle of a step (`running`), one within a second of resuming (its job may
already be loading it: the runner does not re-read the record), or one already finished
cannot be cancelled. The
unfinished `for_each` children of a cancelled run are cancelled with it.
"""

from __future__ import annotations

import contextlib
import logging
import time

from redis.exceptions import WatchError

from bridge.exceptions import RunNotCancellable
from bridge.executor import fanout
from bridge.executor.history import RunStore, run_key
from bridge.executor.records import Run, RunStatus

logger = logging.getLogger("bridge.executor.cancel")

CANCELLABLE = frozenset({RunStatus.queued, RunStatus.retrying, RunStatus.waiting})


async def cancel_run(store: RunStore, run_id: str, who: str = "a person") -> Run | None:
    """Cancel a run; None when it is unknown, RunNotCancellable when it cannot be."""
    for _ in range(5):
        async with store.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(run_key(run_id))
                raw = await pipe.get(run_key(run_id))
                if not raw:
                    return None
                run = Run.from_json(raw)
                if run.status not in CANCELLABLE:
                    raise RunNotCancellable(
                        f"run {run_id} is {run.status}: only queued, retrying or waiting"
                        " runs can be cancelled"
                    )
                due = run.next_attempt_at
                if run.status != RunStatus.queued and due is not None and due < time.time() + 1:
                    raise RunNotCancellable(
                        f"run {run_id} is resuming right now; look again in a moment"
                    )
                old = run.status
                run.status, run.finished = RunStatus.cancelled.value, time.time()
                run.error, run.next_attempt_at = f"cancelled by {who}", None
                pipe.multi()  # type: ignore[no-untyped-call]
                store.stage(pipe, run, old, counters={"runs_cancelled": 1})
                await pipe.execute()
            except WatchError:
                continue
        logger.info("run %s cancelled by %s (was %s)", run_id, who, old)
        for child in await fanout.child_ids(store.redis, run_id):
            with contextlib.suppress(RunNotCancellable):
                await cancel_run(store, child, who)
        return run
    raise RunNotCancellable(f"run {run_id} kept changing; try again")
