"""`delay` / `delay_until` steps: park a run without holding a worker, resume on time.

Parking is a checkpoint like any other: the run's record gets status `waiting`,
`wake_at` and `next_attempt_at` (the resume time), and a fresh arq job (dispatch + 1)
deferred to that moment, all in one Redis transaction. No worker slot is held: the job
sits in arq's sorted set until its score comes due, survives restarts of every process
(Redis keeps it; the embedded Valkey has its append-only file), and arq starts it within
its poll delay of the time. Its key lives until the resume time plus a day, so even a
30-day delay needs no extra bookkeeping. The resumed job finds `wake_at` reached, marks
the delay step succeeded and goes on with the next step; a job that starts early (a
replay) parks again until the same moment. A cancelled run is finished, so its pending
job does nothing when it comes due.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime
from typing import Any

from redis.exceptions import WatchError

from bridge.executor import keys
from bridge.executor.history import RunStore, run_key
from bridge.executor.records import Run, RunStatus, job_id_for
from bridge.rules.flow import MAX_DELAY_SECONDS, Delay

logger = logging.getLogger("bridge.executor.delays")

#: A resumed job this early (seconds) still counts as on time (clock granularity).
EARLY_TOLERANCE = 0.05
#: Seconds past its resume time before a waiting run without a job counts as lost.
RESCUE_GRACE = 300.0


class DelayProblem(ValueError):
    """A `delay_until` that renders to no usable time, or more than 30 days ahead."""


def parse_when(value: Any) -> float:
    """An ISO time (or date, taken as 00:00 UTC) as unix seconds; naive times are UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO time like 2026-12-24T09:00:00Z") from None
    else:
        raise ValueError(f"{value!r} is not an ISO time like 2026-12-24T09:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(stamp: float) -> str:
    """Unix seconds as ISO UTC with a Z, to the second."""
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def wake_time(delay: Delay, context: dict[str, Any], now: float) -> float:
    """When a delay step reached at `now` ends; DelayProblem when it cannot be used."""
    if delay.seconds is not None:
        return now + delay.seconds
    assert delay.until is not None
    rendered = delay.until.render(context)
    try:
        wake = parse_when(rendered)
    except ValueError as exc:
        raise DelayProblem(f"delay_until: {exc}") from None
    if wake - now > MAX_DELAY_SECONDS:
        raise DelayProblem(f"delay_until: {iso(wake)} is more than 30 days ahead")
    return wake


def due(run_wake: float | None, now: float) -> bool:
    """Whether a run parked until `run_wake` may go on."""
    return run_wake is not None and now >= run_wake - EARLY_TOLERANCE


def park_fields(run: Any, wake: float) -> float:
    """Mark `run` waiting until `wake`; the seconds its resume job is deferred by."""
    now = time.time()
    run.status, run.error = "waiting", None
    run.wake_at = run.next_attempt_at = wake
    run.dispatch += 1
    return max(wake - now, 0.0)


async def rescue_overdue(
    store: RunStore, grace: float = RESCUE_GRACE, limit: int = 500
) -> list[str]:
    """Give a waiting run whose resume job is gone (and overdue by `grace`) a job now.

    A parked run's job key lives until its resume time plus a day (arq's expiry), so this
    only matters when no worker ran for that long, or a job was lost otherwise. The
    check and the write are one WATCHed transaction, like the sweeper's.
    """
    redis = store.redis
    ids = await redis.zrange(keys.RUNS_BY_STATUS + RunStatus.waiting.value, 0, limit - 1)
    rescued: list[str] = []
    now = time.time()
    for raw_id in ids:
        run_id = raw_id.decode()
        async with redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(run_key(run_id))
                raw = await pipe.get(run_key(run_id))
                if not raw:
                    await pipe.zrem(keys.RUNS_BY_STATUS + RunStatus.waiting.value, run_id)
                    continue
                run = Run.from_json(raw)
                wake = run.wake_at or 0.0
                if run.status != RunStatus.waiting or wake > now - grace:
                    continue
                if await pipe.exists(keys.ARQ_JOB + job_id_for(run.id, run.dispatch)):
                    continue
                run.dispatch += 1
                pipe.multi()  # type: ignore[no-untyped-call]
                store.stage(pipe, run, run.status, counters={"runs_rescued": 1}, enqueue_after=0.0)
                await pipe.execute()
                rescued.append(run_id)
            except WatchError:
                continue
    if rescued:
        logger.warning(
            "resumed %d waiting run(s) whose job was lost: %s", len(rescued), rescued[:10]
        )
    return rescued
