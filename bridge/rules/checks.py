"""Building a `Rule` and its `Step`s from YAML, with every load-time check.

A rule: `name`, `on` (a type, a glob or a list of them), optional `if`, `description`,
and `do` (steps). A step: exactly one action key (`webhook` or a Perfex operation of the
catalogue) plus optional `id`, `if`, `retry`. Checked here: unknown keys and actions
(with "did you mean"), mandatory Perfex fields, `on:` patterns no event can match, step
ids, and (through `values`) templates and `${VAR}`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from bridge.exceptions import UnknownAction
from bridge.perfex.catalogue import OPERATIONS, Operation, get_operation
from bridge.rules import flow, matching, templates
from bridge.rules import schedules as flow_rules
from bridge.rules.model import RetryOverride, Rule, Step, WebhookParams
from bridge.rules.problems import (
    Problems,
    item_line,
    key_line,
    node_line,
    report_validation,
    suggest,
)
from bridge.rules.values import Scope, compile_condition, compile_value

logger = logging.getLogger("bridge.rules.checks")

_STEP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STEP_KEYS = ("id", "if", "retry")


class RawRule(BaseModel):
    """The shape of one entry of `rules:` (templates are checked separately)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    on: str | list[str]
    if_: str | bool | None = Field(default=None, alias="if")
    do: list[Any] = Field(min_length=1)
    description: str | None = None
    schedule: Any = None
    enabled: StrictBool = True


_RULE_KEYS = ("name", "on", "if", "do", "description", "schedule", "enabled")


@dataclass(slots=True)
class RuleContext:
    """What rule checks need to know about the whole load."""

    problems: Problems
    environ: Mapping[str, str]
    #: Concrete event types that can occur (perfex.*, bridge.*, webhook.<hook>).
    types: set[str]
    #: Hooks with an `event:` template: any `webhook.<hook>.<sub>` can occur.
    sub_typed: list[str]
    seen: dict[str, str] = field(default_factory=dict)


def action_names() -> list[str]:
    return ["webhook", *OPERATIONS]


def find_operation(name: str) -> Operation | None:
    """The catalogue's operation for an action name (aliases included), or None."""
    try:
        return get_operation(name)
    except UnknownAction:
        return None


def build_rule(raw: Any, file: str, line: int, order: int, ctx: RuleContext) -> Rule | None:
    """Validate and compile one entry of `rules:`; None when it has errors."""
    problems = ctx.problems
    if not isinstance(raw, dict):
        problems.error(file, line, "rule: must be a mapping with name, on and do")
        return None
    before = len(problems.errors)
    name = raw.get("name")
    label = f"rule {name!r}" if isinstance(name, str) else "rule"
    try:
        RawRule.model_validate(raw)
    except ValidationError as exc:
        report_validation(problems, exc, raw, file, what=label, keys=_RULE_KEYS)
    if isinstance(name, str):
        if name in ctx.seen:
            first = ctx.seen[name]
            problems.error(
                file, key_line(raw, "name"), f"duplicate rule name {name!r} (first at {first})"
            )
        else:
            ctx.seen[name] = f"{file}:{node_line(raw, line)}"
    schedule = flow_rules.check_schedule(raw, file, label, problems)
    scheduled = flow_rules.names_schedule(raw)
    on = (f"schedule.{name}",) if scheduled else _check_on(raw, file, label, ctx)
    enabled = raw.get("enabled") is not False
    # A disabled rule may name variables not set yet: a warning until it is switched on.
    scope = Scope(problems, ctx.environ, file, optional_env=not enabled)
    condition = None
    if raw.get("if") is not None:
        condition = compile_condition(raw["if"], scope, key_line(raw, "if"), f"{label} if")
    steps: list[Step] = []
    do = raw.get("do")
    if isinstance(do, list):
        ids: list[str] = []
        for index, item in enumerate(do):
            step = build_step(item, index, ids, item_line(do, index), scope, label)
            if step is not None:
                steps.append(step)
    if len(problems.errors) > before or not isinstance(name, str):
        return None
    cond_src = raw.get("if")
    return Rule(
        name=name,
        on=on,
        steps=tuple(steps),
        condition=condition,
        condition_source=None if cond_src is None else str(cond_src),
        description=raw.get("description"),
        file=file,
        line=node_line(raw, line),
        order=order,
        schedule=schedule,
        enabled=enabled,
    )


def _check_on(raw: dict[Any, Any], file: str, label: str, ctx: RuleContext) -> tuple[str, ...]:
    value = raw.get("on")
    patterns = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    line = key_line(raw, "on")
    out: list[str] = []
    for i, pattern in enumerate(patterns):
        where = item_line(value, i) if isinstance(value, list) else line
        if not isinstance(pattern, str):
            continue  # pydantic has reported it
        why = matching.pattern_problem(pattern)
        if why is None and not matching.can_match(pattern, ctx.types, ctx.sub_typed):
            near = suggest(pattern, ctx.types)
            why = f"on: no event type can ever match {pattern!r}{near}"
        if why:
            ctx.problems.error(file, where, f"{label}: {why}")
        out.append(str(pattern))
    return tuple(out)


def build_step(
    raw: Any, index: int, ids: list[str], line: int, scope: Scope, label: str
) -> Step | None:
    """One step of a rule; `ids` holds the ids of earlier steps and gains this one's."""
    problems, file = scope.problems, scope.file
    what = f"{label} step {index + 1}"
    if not isinstance(raw, dict):
        problems.error(file, line, f"{what}: must be a mapping with one action key")
        return None
    if flow.flow_key(raw) is not None:
        return flow.build_flow_step(raw, index, ids, line, scope, label, build_step)
    before = len(problems.errors)
    actions = _action_keys(raw, file, what, problems)
    step_id = _check_id(raw, ids, file, what, problems)
    scope = Scope(
        problems,
        scope.environ,
        file,
        names=scope.names,
        earlier=tuple(ids),
        optional_env=scope.optional_env,
    )
    condition = None
    if raw.get("if") is not None:
        condition = compile_condition(raw["if"], scope, key_line(raw, "if"), f"{what} if")
    retry = None
    if raw.get("retry") is not None:
        try:
            retry = RetryOverride.model_validate(raw["retry"])
        except ValidationError as exc:
            report_validation(
                problems,
                exc,
                raw["retry"],
                file,
                what=f"{what} retry",
                keys=RetryOverride.model_fields,
            )
    if step_id is not None:
        ids.append(step_id)
    if len(actions) != 1:
        return None
    action = actions[0]
    params = raw[action] if raw[action] is not None else {}
    pline = key_line(raw, action)
    if not isinstance(params, dict):
        problems.error(file, pline, f"{what}: {action}: its fields must be a mapping")
        return None
    operation = find_operation(action)
    _check_fields(action, params, file, pline, what, problems)
    compiled = compile_value(params, scope, pline, f"{what} {action}")
    if len(problems.errors) > before or not isinstance(compiled, templates.MapNode):
        return None
    return Step(
        id=step_id,
        index=index,
        action=action,
        params=compiled,
        condition=condition,
        retry=retry,
        operation=operation,
        file=file,
        line=node_line(raw, line),
    )


def _action_keys(raw: dict[Any, Any], file: str, what: str, problems: Problems) -> list[str]:
    """The step's action keys; unknown ones and counts other than one are problems."""
    known = action_names()
    actions: list[str] = []
    for key in raw:
        name = str(key)
        if name in STEP_KEYS:
            continue
        is_action = name == "webhook" or find_operation(name) is not None
        close = suggest(name, STEP_KEYS)
        if close and not is_action:
            problems.error(file, key_line(raw, key), f"{what}: unknown key {name!r}{close}")
            continue
        if not is_action:
            problems.error(
                file, key_line(raw, key), f"{what}: unknown action {name!r}{suggest(name, known)}"
            )
        actions.append(name)
    if not actions:
        problems.error(
            file,
            node_line(raw),
            f"{what}: no action: give one of 'webhook' or 'perfex.<resource>.<verb>'",
        )
    elif len(actions) > 1:
        listed = ", ".join(repr(a) for a in actions)
        problems.error(
            file,
            key_line(raw, actions[1]),
            f"{what}: {len(actions)} action keys ({listed}); a step does exactly one action",
        )
    return [a for a in actions if a == "webhook" or find_operation(a) is not None]


def _check_id(
    raw: dict[Any, Any], ids: list[str], file: str, what: str, problems: Problems
) -> str | None:
    if "id" not in raw:
        return None
    value = raw["id"]
    line = key_line(raw, "id")
    if not isinstance(value, str) or not _STEP_ID.match(value):
        problems.error(file, line, f"{what}: id must be a name of letters, digits and '_'")
        return None
    if value in ids:
        problems.error(file, line, f"{what}: duplicate step id {value!r}")
        return None
    return str(value)


def _check_fields(
    action: str, params: dict[Any, Any], file: str, line: int, what: str, problems: Problems
) -> None:
    """Webhook fields against their model; Perfex fields against the catalogue."""
    if action == "webhook":
        try:
            WebhookParams.model_validate(params)
        except ValidationError as exc:
            report_validation(
                problems, exc, params, file, what=f"{what} webhook", keys=WebhookParams.model_fields
            )
        url = params.get("url")
        fixed = isinstance(url, str) and not templates.has_template(url) and "${" not in url
        if fixed and not str(url).startswith(("http://", "https://")):
            problems.error(file, key_line(params, "url"), f"{what}: url must be http(s)")
        return
    operation = find_operation(action)
    if operation is None:
        return
    for name in (*operation.path_params, *operation.required):
        if name not in params:
            problems.error(file, line, f"{what}: {action} needs field {name!r}")
        elif params[name] is None or params[name] == "":
            # An empty required field (a template's id left blank) fails only at run time.
            problems.error(
                file, key_line(params, name), f"{what}: {action} needs a value for field {name!r}"
            )
    known = {*operation.path_params, *operation.required, *operation.optional}
    for key in params:
        name = str(key)
        close = suggest(name, known)
        if name not in known and close and "[" not in name:
            problems.warning(
                file, key_line(params, key), f"{what}: {action}: field {name!r}{close}"
            )
