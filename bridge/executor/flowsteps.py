"""Running a rule's flow steps (`delay`, `delay_until`, `for_each`) inside the runner.

`run_flow_step` decides what a flow step does now and hands the runner a `Verdict`: go
on with `output`, park until `wake`, or fail with `error` (permanent: a bad list or
time cannot get better by retrying). The Redis side is in `delays.py` and `fanout.py`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from bridge.executor import delays, fanout
from bridge.executor.history import RunStore
from bridge.executor.records import Run
from bridge.rules.flow import Delay, ForEach
from bridge.rules.model import Step

logger = logging.getLogger("bridge.executor.flowsteps")


@dataclass(slots=True)
class Verdict:
    """What a flow step came to: exactly one of output, wake and error is set."""

    output: dict[str, Any] | None = None
    wake: float | None = None
    error: str | None = None


async def run_flow_step(store: RunStore, run: Run, step: Step, context: dict[str, Any]) -> Verdict:
    """Run one flow step (TemplateError propagates, like any step's rendering)."""
    flow = step.flow
    now = time.time()
    if isinstance(flow, Delay):
        if run.wake_at is None:
            try:
                wake = delays.wake_time(flow, context, now)
            except delays.DelayProblem as exc:
                return Verdict(error=str(exc))
            if wake <= now:
                return Verdict(output={"status": "waited", "until": delays.iso(wake)})
            return Verdict(wake=wake)
        if not delays.due(run.wake_at, now):
            return Verdict(wake=run.wake_at)
        output = {"status": "waited", "until": delays.iso(run.wake_at)}
        run.wake_at = None
        return Verdict(output=output)
    if isinstance(flow, ForEach):
        try:
            items = fanout.items_of(flow, flow.items.render(context))
        except fanout.FanOutProblem as exc:
            return Verdict(error=str(exc))
        return Verdict(output=await fanout.fan_out(store, run, step, items))
    return Verdict(error=f"step {step.key}: unknown flow step {step.action!r}")
