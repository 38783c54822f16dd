"""System events the executor emits: `bridge.run.dead_lettered`.

When a run moves to the dead-letter queue, an event goes through the rules like any
other, so a person can route failures to chat or email. It is stored in the same Redis
transaction as the dead letter (never one without the other), with the id
`bridge.run.dead_lettered:<run id>:<dispatch>`, so a job that gives up twice (a crash
between the two) makes one event.

No loops: a run whose own event is a system event (`bridge.*`, e.g. the rule that posts
dead letters to chat, or one routing `bridge.poller.stopped`) emits nothing when it
dead-letters; its failure is in the dead-letter queue and the logs.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio.client import Pipeline

from bridge.events import Event, EventStore
from bridge.executor.records import Run

logger = logging.getLogger("bridge.executor.system_events")

DEAD_LETTERED = "bridge.run.dead_lettered"
#: Event types from the bridge itself: runs of these never emit a system event.
SYSTEM_PREFIX = "bridge."


def emits(run: Run) -> bool:
    """Whether a dead-lettering run emits `bridge.run.dead_lettered` (not for system ones)."""
    return not run.event_type.startswith(SYSTEM_PREFIX)


def dead_lettered(run: Run, error: str, step: int | None) -> Event:
    """The event of a run that moved to the dead-letter queue."""
    data: dict[str, Any] = {
        "run_id": run.id,
        "rule": run.rule,
        "event_id": run.event_id,
        "event_type": run.event_type,
        "error": error,
        "step": step,
        "status": run.status,
    }
    if run.parent is not None:
        data["parent_run_id"] = run.parent
    return Event(
        id=f"{DEAD_LETTERED}:{run.id}:{run.dispatch}",
        type=DEAD_LETTERED,
        source="bridge",
        data=data,
    )


async def stage_dead_lettered(
    pipe: Pipeline, events: EventStore, run: Run, error: str, step: int | None
) -> None:
    """Queue the event on a transaction pipeline, unless the run is itself a system one."""
    if emits(run):
        await events.stage(pipe, [dead_lettered(run, error, step)])
