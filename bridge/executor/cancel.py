"""Cancelling a run (dashboard button, `POST /api/runs/{id}/cancel`).

A run that is queued, retrying or waiting (parked by a delay) can be cancelled: its
record becomes `cancelled` (a finished status), so the arq job it still owns does nothing
when it comes due. The check and the write are one WATCHed transaction on the record, so
a worker saving the run meanwhile wins and the cancel is refused rather than lost. A
run in the middle of a step (`running`), one within a second of resuming (its job may
already be loading it: the runner does not re-read the record), or one already finished
cannot be cancelled. The
unfinished `for_each` children of a run are cancelled with it (`cancel`), also when the
parent itself has finished already (it does not wait for its children).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from redis.exceptions import WatchError

from bridge.exceptions import RunNotCancellable
from bridge.executor import fanout
from bridge.executor.history import RunStore, run_key
from bridge.executor.records import Run, RunStatus

logger = logging.getLogger("bridge.executor.cancel")

CANCELLABLE = frozenset({RunStatus.queued, RunStatus.retrying, RunStatus.waiting})


async def cancel_run(store: RunStore, run_id: str, who: str = "a person") -> Run | None:
    """Cancel one run (not its children); None when unknown, RunNotCancellable if it cannot."""
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
        return run
    raise RunNotCancellable(f"run {run_id} kept changing; try again")


@dataclass(slots=True)
class Outcome:
    """What a cancel did: the run (as it stands now), whether it was cancelled itself,
    and how many of its for_each children were."""

    run: Run
    cancelled: bool
    children: int


async def cancel(store: RunStore, run_id: str, who: str = "a person") -> Outcome | None:
    """Cancel a run and its unfinished for_each children (those not running right now).

    A parent that already finished (it does not wait for its children) still has its
    unfinished children cancelled. None for an unknown run; RunNotCancellable when
    neither the run nor any child could be cancelled.
    """
    refused: RunNotCancellable | None = None
    try:
        run = await cancel_run(store, run_id, who)
    except RunNotCancellable as exc:
        refused, run = exc, await store.load(run_id)
    if run is None:
        return None
    children = 0
    for child in await fanout.child_ids(store.redis, run_id):
        with contextlib.suppress(RunNotCancellable):
            children += await cancel_run(store, child, who) is not None
    if refused is not None and not children:
        raise refused
    return Outcome(run, refused is None, children)
