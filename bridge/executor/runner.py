"""Runs one rule's steps for one event, in order, with a checkpoint after every step.

`run_rule(executor, run_id, dispatch)` is what the arq job calls; `run_loaded` is the
same after the loading, for a run the router has just created and starts itself
(`direct.py`). It:

1. loads the run record; a job whose `dispatch` is not the record's (a stale duplicate, an
   old retry) or a finished run does nothing, so a job that runs twice is harmless;
2. resumes at `next_step`: earlier steps are done and their outputs are in the record;
3. per step: `if:` false -> skipped; render the fields; wait for the target's limits
   (a wait is never an attempt: a long one re-enqueues the job for later); mark the attempt
   in flight (so a crash is seen and recorded as `interrupted` by the next pickup); run it;
   checkpoint the result and the attempt in one transaction, which also frees the limit
   slot (unless the attempt fed the circuit breaker a failure: that is a script call);
4. a retryable failure with attempts left schedules a fresh deferred job (new dispatch
   number) in the same transaction as the checkpoint (see `retry.py` for why); a permanent
   failure or the last attempt moves the run, whole, to the dead-letter queue.

Flow steps are decided in `flowsteps.py`: a `delay`/`delay_until` parks the run as
`waiting` with a deferred job (`delays.py`), a `for_each` creates one child run per item
(`fanout.py`; a child runs the nested steps). A dead letter stores its
`bridge.run.dead_lettered` event in the same transaction (`system_events.py`).

Crash safety: a worker killed mid-step leaves the arq job in its queue; arq runs it again
once `arq:in-progress:<job>` expires (its lease: 10 s unrenewed, see leases.py). The step
then runs again with the same `webhook-id`, so receivers can drop the duplicate; the
history shows it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bridge.events import Event, EventStore
from bridge.exceptions import TemplateError
from bridge.executor import actions, delays, fanout, flowsteps, system_events, webhook
from bridge.executor.history import RunStore
from bridge.executor.limits import Admission, Limiter, Outcome
from bridge.executor.records import FINISHED, Run, RunStatus, StepState
from bridge.executor.retry import RetryPolicy, is_retryable, next_delay, policy_for
from bridge.redaction import redact_text
from bridge.rules.budget import render_off_loop
from bridge.rules.model import Ruleset, Step, render_step
from bridge.rules.templates import evaluate_condition, make_context

logger = logging.getLogger("bridge.executor.runner")

#: Seconds kept free at the end of a job's time budget (at most a fifth of it).
_MARGIN = 5.0


class RulesSource(Protocol):
    """Anything with the current Ruleset: the RulesWatcher, or a fixed holder in tests."""

    @property
    def current(self) -> Ruleset: ...


@dataclass(slots=True)
class Executor:
    """What a worker process shares between jobs (kept in arq's ctx)."""

    redis: Redis
    store: RunStore
    events: EventStore
    rules: RulesSource
    http: aiohttp.ClientSession
    limiter: Limiter
    perfex: Any = None
    allow_private: bool = False
    #: arq's function timeout; steps are sized to finish well within it.
    job_timeout: float = 60.0
    default_policy: RetryPolicy = field(default_factory=RetryPolicy)
    #: Secret values (the Perfex token) cut out of everything stored.
    secrets: tuple[str, ...] = ()
    #: This worker process's name, kept in `run.inflight` (see executor/leases.py).
    worker_id: str = ""


@dataclass(slots=True)
class _Pending:
    """What the next save writes besides the record."""

    attempts: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    #: The limit slot of the last attempt, freed in the same transaction (ok or neutral).
    release: tuple[Admission, Outcome] | None = None
    #: The arq job this process runs itself (executor/direct.py), deleted by the save
    #: that ends this pickup.
    job: str | None = None

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount


async def run_rule(ex: Executor, run_id: str, dispatch: int) -> str:
    """Run (or resume) a run; returns what happened, for arq's log."""
    run = await ex.store.load(run_id)
    if run is None:
        logger.warning("run %s not found (expired?); nothing to do", run_id)
        return "missing"
    if run.dispatch != dispatch or run.status in FINISHED:
        return "stale"
    return await run_loaded(ex, run, await ex.events.get(run.event_id))


async def run_loaded(ex: Executor, run: Run, event: Event | None, job: str | None = None) -> str:
    """Run a run already read (with its event): what `run_rule` does after loading.

    `job` is the run's arq job when this process runs it without arq (the router just
    created both: executor/direct.py); the save that ends this pickup deletes it.
    """
    old, pending = run.status, _Pending(job=job)
    if run.inflight is not None:
        _interrupted(run, pending, ex.worker_id)
    ruleset = ex.rules.current
    rule = ruleset.rule(run.rule)
    if event is None or rule is None:
        why = "the event is no longer stored" if event is None else "the rule is not loaded"
        return await _give_up(ex, run, old, pending, None, f"{why}; nothing to run", False)
    steps = fanout.steps_of(rule, run)
    if steps is None:
        why = "the rule's for_each step is gone; nothing to run"
        return await _give_up(ex, run, old, pending, None, why, False)
    parent_outputs = await fanout.parent_outputs(ex.store, run)
    if old == RunStatus.queued:
        pending.count("runs_started")
    run.status, run.next_attempt_at = RunStatus.running.value, None
    margin = min(_MARGIN, ex.job_timeout / 5)
    deadline = time.monotonic() + ex.job_timeout - margin
    step_cap = ex.job_timeout - 2 * margin  # the longest one step may take
    ran = 0
    event_dict = event.to_dict()
    while run.next_step < len(steps):
        step = steps[run.next_step]
        state = run.step(step.index, step.key, step.action)
        context = make_context(event_dict, run.outputs)
        fanout.child_context(run, context, parent_outputs)
        verdict = None
        try:  # off the event loop, within the render budget (bridge/rules/budget.py)
            params = await render_off_loop(_render_or_skip, step, context)
            if params is not None and step.flow is not None:
                verdict = await flowsteps.run_flow_step(ex.store, run, step, context)
        except TemplateError as exc:  # its message may quote a ${VAR} value
            why = redact_text(str(exc), ex.secrets + tuple(ruleset.env_values))
            return await _give_up(ex, run, old, pending, step.index, why, False)
        if params is None:  # its `if:` was false
            state.status = RunStatus.skipped.value
            pending.attempts.append(_record(run, state, outcome="skipped"))
            pending.count("steps_skipped")
            run.next_step += 1
            continue
        if verdict is not None:
            if verdict.error is not None:
                why = redact_text(verdict.error, ex.secrets + tuple(ruleset.env_values))
                return await _give_up(ex, run, old, pending, step.index, why, False)
            if verdict.wake is not None:
                return await _park(ex, run, old, pending, state, verdict.wake)
            run.outputs[step.key] = verdict.output
            state.status, state.error = RunStatus.succeeded.value, None
            pending.attempts.append(_record(run, state, outcome="succeeded"))
            pending.count("steps_succeeded")
            run.next_step += 1
            continue
        remaining = deadline - time.monotonic()
        if ran and remaining < step_cap:
            return await _defer(ex, run, old, pending, 0.0, "continued in a new job")
        budget = min(remaining, step_cap)
        ran += 1
        policy = policy_for(step.retry, ex.default_policy)
        if policy.exhausted(state.attempts):  # the last ones were interrupted by crashes
            why = f"{state.attempts} attempts used up; the last was interrupted"
            return await _give_up(ex, run, old, pending, step.index, why, True)
        target = "perfex" if step.action != "webhook" else actions.webhook_target(params)
        if pending.release is not None:  # the last step's slot, before waiting for another
            await _release(ex.limiter, *pending.release)
            pending.release = None
        admission = await ex.limiter.acquire(target)
        if not admission.admitted:
            why = f"{target} circuit open" if admission.breaker_open else f"{target} busy"
            return await _defer(ex, run, old, pending, admission.wait, f"waiting: {why}")
        state.attempts += 1
        started = time.time()
        run.inflight = {"step": step.index, "attempt": state.attempts, "started": started}
        run.inflight["worker"] = ex.worker_id
        await _save(ex, run, old, pending, closing=False)
        old, pending = run.status, _Pending(job=pending.job)
        secrets = ex.secrets + tuple(ruleset.env_values)
        if step.action == "webhook":
            secrets += actions.webhook_secrets(params)
        outcome = await _attempt(ex, run, step, params, event_dict, budget, secrets)
        ex.limiter.stop_renewing(admission)  # its lease covers the time until the save
        if outcome.breaker == "fail":
            await _release(ex.limiter, admission, outcome.breaker)
        else:
            pending.release = (admission, outcome.breaker)
        run.inflight = None
        record = _record(run, state, started=started, outcome="succeeded", result=outcome)
        if outcome.error is not None:
            message = redact_text(str(outcome.error), secrets)
            return await _failed(ex, run, old, pending, step, record, outcome.error, message)
        run.outputs[step.key] = outcome.output
        state.status, state.error = RunStatus.succeeded.value, None
        pending.attempts.append(record)
        pending.count("steps_succeeded")
        run.next_step += 1
    all_skipped = all(s.status == RunStatus.skipped for s in run.steps)
    run.status = (RunStatus.skipped if all_skipped and run.steps else RunStatus.succeeded).value
    run.finished, run.error = time.time(), None
    pending.count("runs_succeeded")
    await _save(ex, run, old, pending)
    return run.status


async def _save(
    ex: Executor,
    run: Run,
    old: str,
    pending: _Pending,
    *,
    closing: bool = True,
    enqueue_after: float | None = None,
) -> None:
    """Write the record with what `pending` holds, in one transaction."""
    async with ex.redis.pipeline(transaction=True) as pipe:
        _stage(ex, pipe, run, old, pending, closing=closing, enqueue_after=enqueue_after)
        await pipe.execute()


def _stage(
    ex: Executor,
    pipe: Pipeline,
    run: Run,
    old: str,
    pending: _Pending,
    *,
    closing: bool = True,
    enqueue_after: float | None = None,
    dead_letter: dict[str, Any] | None = None,
) -> None:
    """Queue a save in `pipe`: the record, its attempts and counters, the freed limit slot
    and (`closing`: the save that ends this pickup) the deletion of a job run without arq."""
    ex.store.stage(
        pipe,
        run,
        old,
        attempts=pending.attempts,
        counters=pending.counters,
        enqueue_after=enqueue_after,
        dead_letter=dead_letter,
        drop_job=pending.job if closing else None,
    )
    if pending.release is not None:
        ex.limiter.stage_release(pipe, *pending.release)


def _render_or_skip(step: Step, context: dict[str, Any]) -> dict[str, Any] | None:
    """A step's rendered fields, or None when its `if:` is false."""
    return render_step(step, context) if evaluate_condition(step.condition, context) else None


async def _attempt(
    ex: Executor,
    run: Run,
    step: Step,
    params: dict[str, Any],
    event: dict[str, Any],
    budget: float,
    secrets: tuple[str, ...],
) -> actions.Outcome:
    if step.action == "webhook":
        coro = actions.run_webhook(
            ex.http,
            params,
            event=event,
            msg_id=webhook.webhook_id(run.id, run.next_step),
            allow_private=ex.allow_private,
            max_timeout=max(budget - 0.5, 0.1),
            secrets=secrets,
        )
    else:
        coro = actions.run_perfex(ex.perfex, step.action, step.operation, params, secrets)
    return await actions.with_timeout(coro, budget, step.action)


async def _release(limiter: Limiter, admission: Admission, outcome: Any) -> None:
    try:
        await limiter.release(admission, outcome)
    except Exception:  # the lease expires by itself; never lose the step's result over it
        logger.exception("could not release the %s limit", admission.target)


def _record(
    run: Run,
    state: StepState,
    *,
    outcome: str,
    started: float | None = None,
    result: actions.Outcome | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One attempt as stored in the history (already redacted by the action)."""
    now = time.time()
    out: dict[str, Any] = {
        "run_id": run.id,
        "step": state.index,
        "key": state.key,
        "action": state.action,
        "attempt": state.attempts,
        "started": started or now,
        "duration_ms": round((now - started) * 1000, 2) if started else 0.0,
        "outcome": outcome,
        "error": error,
    }
    if result is not None:
        out["request"] = result.request
        out["status"] = result.status
        out["response"] = result.response
    return out


def _interrupted(run: Run, pending: _Pending, worker_id: str = "") -> None:
    """The previous pickup died mid-attempt: record that attempt as interrupted."""
    inflight = run.inflight or {}
    state = run.steps[int(inflight.get("step", run.next_step))]
    record = _record(run, state, outcome="interrupted", started=inflight.get("started"))
    record["error"] = "the worker stopped during this attempt; it may or may not have landed"
    holder = inflight.get("worker")
    if holder and holder != worker_id:  # another process took the job over
        record["rerun"] = "lease_lost"
        record["error"] = (
            f"worker {holder} stopped renewing its lease during this attempt (it may or may "
            "not have landed); re-run by another worker with the same webhook-id"
        )
    pending.attempts.append(record)
    pending.count("attempts_interrupted")
    run.inflight = None


async def _failed(
    ex: Executor,
    run: Run,
    old: str,
    pending: _Pending,
    step: Step,
    record: dict[str, Any],
    error: BaseException,
    message: str,
) -> str:
    """A failed attempt: schedule the next one, or give up."""
    state = run.steps[step.index]
    state.error, record["error"] = message, message
    pending.count("attempts_failed")
    policy = policy_for(step.retry, ex.default_policy)
    if is_retryable(error) and not policy.exhausted(state.attempts):
        delay = next_delay(policy, state.attempts, error)
        record["outcome"] = "retrying"
        pending.attempts.append(record)
        pending.count("retries")
        state.status = RunStatus.retrying.value
        run.status, run.error = RunStatus.retrying.value, message
        run.next_attempt_at = time.time() + delay
        run.dispatch += 1
        await _save(ex, run, old, pending, enqueue_after=delay)
        return "retrying"
    record["outcome"] = "failed"
    pending.attempts.append(record)
    return await _give_up(ex, run, old, pending, step.index, message, is_retryable(error))


async def _give_up(
    ex: Executor,
    run: Run,
    old: str,
    pending: _Pending,
    step_index: int | None,
    message: str,
    exhausted: bool,
) -> str:
    """Final failure: the run goes, whole, to the dead-letter queue."""
    status = RunStatus.dead if exhausted else RunStatus.failed
    if step_index is not None:
        run.steps[step_index].status = status.value
        run.steps[step_index].error = message
    run.status, run.error, run.finished = status.value, message, time.time()
    run.next_attempt_at = None
    pending.count("steps_failed")
    pending.count("dead_letters")
    letter = {
        "id": run.id,
        "run_id": run.id,
        "event_id": run.event_id,
        "event_type": run.event_type,
        "rule": run.rule,
        "step": step_index,
        "status": status.value,
        "error": message,
        "time": time.time(),
        "run": run.to_dict(),
    }
    async with ex.redis.pipeline(transaction=True) as pipe:
        _stage(ex, pipe, run, old, pending, dead_letter=letter)
        await system_events.stage_dead_lettered(pipe, ex.events, run, message, step_index)
        await pipe.execute()
    logger.warning("run %s %s: %s", run.id, status.value, message)
    return status.value


async def _defer(
    ex: Executor, run: Run, old: str, pending: _Pending, delay: float, why: str
) -> str:
    """Hand the run to a fresh job `delay` s from now; no attempt is counted."""
    run.dispatch += 1
    if delay > 0:
        run.status, run.error = RunStatus.retrying.value, why
        run.next_attempt_at = time.time() + delay
        pending.count("deferrals")
    await _save(ex, run, old, pending, enqueue_after=delay)
    return "deferred"


async def _park(
    ex: Executor, run: Run, old: str, pending: _Pending, state: StepState, wake: float
) -> str:
    """A delay step: park the run until `wake` with a deferred job; no worker is held."""
    state.status = RunStatus.waiting.value
    defer = delays.park_fields(run, wake)
    pending.count("runs_parked")
    await _save(ex, run, old, pending, enqueue_after=defer)
    logger.info("run %s waiting until %s", run.id, delays.iso(wake))
    return "waiting"
