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
from bridge.rules.budget import render_within
from bridge.rules.matching import RuleIndex
from bridge.rules.model import Rule, Ruleset, render_step
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
    steps: list[dict[str, Any]] = []
    outputs: dict[str, Any] = {}
    for step in rule.steps:
        ctx = {**context, "steps": dict(outputs)}
        entry: dict[str, Any] = {"id": step.id, "action": step.action, "skipped": False}
        try:
            if not render_within(evaluate_condition, step.condition, ctx):
                entry["skipped"] = True
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
