"""The run record: one event through one rule, its checkpoint and its steps' state.

A run's id is `<event id>:<rule name>` (a replay adds `:replay-<n>`), so the router can
create it "if absent" and a duplicate stream entry or a second router does nothing. A
`for_each` child's id is `<parent run id>:each<step>:<index>` (`fanout.py`). The
record is the executor's idempotency store and checkpoint; arq job ids are not (they are
forgotten after a while). Everything stored passes through `bridge.redaction` first.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """Where a run (or a step) stands."""

    #: Created by the router; its first job has not started.
    queued = "queued"
    #: A worker is running its steps.
    running = "running"
    #: A step failed and waits for its next attempt.
    retrying = "retrying"
    #: Every step succeeded (or was skipped by its `if:`).
    succeeded = "succeeded"
    #: A step failed permanently (no retry could help); the run is in the dead-letter queue.
    failed = "failed"
    #: A step used up its attempts; the run is in the dead-letter queue.
    dead = "dead"
    #: Nothing ran: every step's `if:` was false.
    skipped = "skipped"
    #: Parked by a `delay`/`delay_until` step until `next_attempt_at` (no worker held).
    waiting = "waiting"
    #: A person cancelled it (dashboard or admin API) before it finished.
    cancelled = "cancelled"


#: Statuses after which no job touches the run (until a person replays it).
FINISHED = frozenset(
    {
        RunStatus.succeeded,
        RunStatus.failed,
        RunStatus.dead,
        RunStatus.skipped,
        RunStatus.cancelled,
    }
)


def run_id_for(event_id: str, rule: str, replay: int | None = None) -> str:
    """The run id of an event through a rule; replays get `:replay-<n>`."""
    base = f"{event_id}:{rule}"
    return base if replay is None else f"{base}:replay-{replay}"


def job_id_for(run_id: str, dispatch: int) -> str:
    """The arq job id of a run's n-th dispatch (first run, retries, deferrals)."""
    return f"run:{run_id}:{dispatch}"


@dataclass(slots=True)
class StepState:
    """One step's standing within a run."""

    index: int
    key: str
    action: str
    status: str = RunStatus.queued.value
    #: Attempts made so far (interrupted ones included).
    attempts: int = 0
    error: str | None = None


@dataclass(slots=True)
class Run:
    """The stored record of one run; see the module docstring."""

    id: str
    event_id: str
    event_type: str
    rule: str
    status: str = RunStatus.queued.value
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    finished: float | None = None
    #: Number of the arq job that owns the run; jobs with another number are stale.
    dispatch: int = 0
    #: Checkpoint: index of the first step not yet finished.
    next_step: int = 0
    #: Outputs of finished steps by step key: {"status", "body", "id"}.
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepState] = field(default_factory=list)
    #: The attempt in flight: a record still holding it after a crash was interrupted.
    inflight: dict[str, Any] | None = None
    next_attempt_at: float | None = None
    error: str | None = None
    replay_of: str | None = None
    #: A `for_each` child run: its parent run, the parent's step index, the item and its
    #: position (see `bridge.executor.fanout`).
    parent: str | None = None
    parent_step: int | None = None
    item: Any = None
    index: int | None = None
    #: Resume time (unix s) of the `delay` step the run is parked at (`delays.py`).
    wake_at: float | None = None

    def step(self, index: int, key: str, action: str) -> StepState:
        """The state of step `index`, created when first reached."""
        while len(self.steps) <= index:
            self.steps.append(StepState(len(self.steps), "", ""))
        state = self.steps[index]
        if not state.key:
            state.key, state.action = key, action
        return state

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data (cheaper than dataclasses.asdict's deep copy)."""
        out = {name: getattr(self, name) for name in _RUN_FIELDS}
        out["steps"] = [{name: getattr(step, name) for name in _STEP_FIELDS} for step in self.steps]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Run:
        data = json.loads(raw)
        data["steps"] = [StepState(**s) for s in data.get("steps", [])]
        return cls(**data)


_RUN_FIELDS = tuple(f.name for f in fields(Run))
_STEP_FIELDS = tuple(f.name for f in fields(StepState))
