"""A dry run: which rules an event matches and what each step would send, sending nothing.

Used by `bridge rules test`. The outputs of earlier steps (`steps.<id>`) cannot be known
without running them, so they are placeholders: `status` 200, `id` and any `body` field a
string like "<steps.task.id>"; the result says so in `notes`. Secrets are masked as the run
history masks them (`bridge.redaction`): secret-named fields and every `${VAR}` value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bridge import redaction
from bridge.events import Event
from bridge.exceptions import TemplateError
from bridge.executor import delays, fanout
from bridge.rules.budget import render_within
from bridge.rules.flow import Delay, ForEach
from bridge.rules.matching import RuleIndex
from bridge.rules.model import Rule, Ruleset, Step, render_step
from bridge.rules.templates import evaluate_condition, make_context

logger = logging.getLogger("bridge.rules.dryrun")

#: The `not_matched` reason of a rule whose `on:` matches but that is switched off.
DISABLED = "disabled (enabled: false)"

PLACEHOLDER_NOTE = (
    "steps.<id> values are placeholders in a dry run (status 200, id and body fields"
    " shown as '<steps.ID.FIELD>'): the real values exist only when the steps run"
)


class _PlaceholderBody(dict[str, Any]):
    """A step body whose every field reads as a placeholder string."""

    def __init__(self, step_id: str) -> None:
        super().__init__()
        self.step_id = step_id

    def __missing__(self, key: str) -> str:
        return f"<steps.{self.step_id}.body.{key}>"


def placeholder_output(step_id: str) -> dict[str, Any]:
    """What `steps.<id>` reads as in a dry run."""
    return {"status": 200, "id": f"<steps.{step_id}.id>", "body": _PlaceholderBody(step_id)}


def redact(params: Mapping[str, Any], env_values: Iterable[str] = ()) -> dict[str, Any]:
    """The params as the run history would store them: secret-named fields (a webhook's
    `secret`, an Authorization header) masked, and every value a `${VAR}` read (a chat URL
    carrying its token, say) cut out."""
    masked: dict[str, Any] = redaction.redact(dict(params), env_values)
    return masked


def dry_run_rule(
    rule: Rule, context: dict[str, Any], env_values: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Every step of a rule rendered in order against placeholder earlier outputs."""
    return dry_run_steps(rule.steps, context, env_values)


def dry_run_steps(
    rule_steps: Iterable[Step], context: dict[str, Any], env_values: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Steps rendered in order; a flow step says what it would do (see `_flow_preview`)."""
    env_values = frozenset(env_values)
    steps: list[dict[str, Any]] = []
    outputs: dict[str, Any] = dict(context.get("steps") or {})
    for step in rule_steps:
        ctx = {**context, "steps": dict(outputs)}
        entry: dict[str, Any] = {"id": step.id, "action": step.action, "skipped": False}
        try:
            if not render_within(evaluate_condition, step.condition, ctx):
                entry["skipped"] = True
            elif step.flow is not None:
                entry.update(_flow_preview(step.flow, ctx, env_values))
            else:
                entry["params"] = redact(render_within(render_step, step, ctx), env_values)
        except TemplateError as exc:
            entry["error"] = redaction.redact_text(str(exc), env_values)
        if step.retry is not None:
            entry["retry"] = step.retry.model_dump(exclude_none=True)
        steps.append(entry)
        if step.id is not None:
            outputs[step.id] = placeholder_output(step.id)
    return steps


def _flow_preview(flow: Any, ctx: dict[str, Any], env_values: frozenset[str]) -> dict[str, Any]:
    """What a `delay`/`delay_until` or `for_each` would do now: the resume time, or the
    list's item count and the first item's nested steps (an item that is an earlier
    step's placeholder answer is itself a placeholder)."""
    if isinstance(flow, Delay):
        now = ctx["now"].timestamp()
        try:
            wake = render_within(delays.wake_time, flow, ctx, now)
        except delays.DelayProblem as exc:
            return {"error": redaction.redact_text(str(exc), env_values)}
        return {"seconds": round(wake - now), "resume_at": delays.iso(wake)}
    assert isinstance(flow, ForEach)
    rendered = render_within(flow.items.render, ctx)
    if isinstance(rendered, _PlaceholderBody):
        items: list[Any] = [_PlaceholderItem()]
        preview: dict[str, Any] = {
            "items": None,
            "note": f"the list is steps.{rendered.step_id}'s answer, known only when it runs;"
            " the first item is shown as placeholders",
        }
    else:
        try:
            items = fanout.items_of(flow, rendered)
        except fanout.FanOutProblem as exc:
            return {"error": redaction.redact_text(str(exc), env_values)}
        preview = {"items": len(items), "max_items": flow.max_items}
    if items:
        nested = {**ctx, "item": items[0], "index": 0}
        first = dry_run_steps(flow.steps, nested, env_values)
        preview["first_item"] = {
            "item": redact({"item": items[0]}, env_values)["item"],
            "steps": first,
        }
    return preview


class _PlaceholderItem(dict[str, Any]):
    """The first item of a list not known before the run: each field reads `<item.F>`."""

    def __missing__(self, key: str) -> str:
        return f"<item.{key}>"


def dry_run(
    ruleset: Ruleset, event: Event | Mapping[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """The matching rules for an event, each step rendered: JSON-able, nothing sent."""
    context = make_context(event, now=now)
    matched, failed = ruleset.match_detailed(context["event"], now=context["now"])
    result: dict[str, Any] = {
        "event": context["event"],
        "matched": [
            {
                "rule": rule.name,
                "source": rule.source,
                "steps": dry_run_rule(rule, context, ruleset.env_values),
            }
            for rule in matched
        ],
    }
    candidates = ruleset.candidates(context["event"]["type"])
    passed = {rule.name for rule in matched}
    errors = {
        rule.name: redaction.redact_text(str(exc), ruleset.env_values) for rule, exc in failed
    }
    result["not_matched"] = [
        {"rule": rule.name, "reason": errors.get(rule.name, "if: was false")}
        for rule in candidates
        if rule.name not in passed
    ]
    switched_off = RuleIndex(rule for rule in ruleset.rules if not rule.enabled)
    result["not_matched"] += [
        {"rule": rule.name, "reason": DISABLED}
        for rule in switched_off.lookup(context["event"]["type"])
    ]
    if any(step.id is not None for rule in matched for step in rule.steps):
        result["notes"] = [PLACEHOLDER_NOTE]
    return result
