"""Flow steps of a rule: `delay`, `delay_until` and `for_each` (with a nested `do:`).

    - delay: 2d                               # 30s | 5m | 2h | 1d; at most 30 days
    - delay_until: "{{ event.data.duedate }}" # an ISO time (a date alone is 00:00 UTC)
    - for_each: "{{ steps.invoices.body }}"   # a list; nested steps see `item` and `index`
      max_items: 200                          # default 1000; a longer list fails the step
      do: [...]

They become `Step`s whose `action` is the key (`delay`, `delay_until`, `for_each`) and
whose `flow` holds a `Delay` or a `ForEach`; the executor runs them in
`bridge.executor.delays` and `bridge.executor.fanout`. Checked here, each `file:line`:
malformed or too long delays, a `for_each` over a literal that is not a list, a bad
`max_items`, and (through the template scope) `item` outside a `for_each`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.rules import templates
from bridge.rules.model import Step
from bridge.rules.problems import item_line, key_line, node_line
from bridge.rules.values import Scope, compile_condition, compile_value
from bridge.scheduler.spec import parse_duration

logger = logging.getLogger("bridge.rules.flow")

#: The longest a run may be parked by one delay.
MAX_DELAY_SECONDS = 30 * 86400
#: `max_items` when a `for_each` gives none, and the ceiling it may be raised to.
DEFAULT_MAX_ITEMS = 1000
MAX_MAX_ITEMS = 100_000
#: Names a nested step of a `for_each` may use besides event, steps and now.
ITEM_NAMES = frozenset({"item", "index"})
FLOW_KEYS = ("delay", "delay_until", "for_each")
_ALLOWED = {
    "delay": ("delay", "id", "if"),
    "delay_until": ("delay_until", "id", "if"),
    "for_each": ("for_each", "do", "max_items", "id", "if"),
}

BuildStep = Callable[[Any, int, list[str], int, Scope, str], Step | None]


@dataclass(frozen=True, slots=True)
class Delay:
    """Park the run: `seconds` from when the step is reached, or until `until` renders."""

    seconds: int | None = None
    until: templates.Node | None = None


@dataclass(frozen=True, slots=True)
class ForEach:
    """Run `steps` once per item of the rendered `items`, each as a child run."""

    items: templates.Node
    steps: tuple[Step, ...]
    max_items: int = DEFAULT_MAX_ITEMS


def flow_key(raw: dict[Any, Any]) -> str | None:
    """The flow key of a step mapping (`delay`, `delay_until`, `for_each`), or None."""
    found = [str(k) for k in raw if str(k) in FLOW_KEYS]
    return found[0] if found else None


def build_flow_step(
    raw: dict[Any, Any],
    index: int,
    ids: list[str],
    line: int,
    scope: Scope,
    label: str,
    build_step: BuildStep,
) -> Step | None:
    """A `delay`, `delay_until` or `for_each` step; None (with problems) when it is wrong."""
    problems, file = scope.problems, scope.file
    what = f"{label} step {index + 1}"
    kind = flow_key(raw)
    assert kind is not None
    before = len(problems.errors)
    for key in raw:
        if str(key) not in _ALLOWED[kind]:
            allowed = ", ".join(_ALLOWED[kind])
            problems.error(
                file, key_line(raw, key), f"{what}: {kind} takes only {allowed}, not {key!r}"
            )
    step_id = raw.get("id")
    if step_id is not None and (
        not isinstance(step_id, str) or not step_id.isidentifier() or step_id in ids
    ):
        problems.error(file, key_line(raw, "id"), f"{what}: id must be a new name")
        step_id = None
    inner = Scope(problems, scope.environ, file, names=scope.names, earlier=tuple(ids))
    condition = None
    if raw.get("if") is not None:
        condition = compile_condition(raw["if"], inner, key_line(raw, "if"), f"{what} if")
    kline = key_line(raw, kind)
    flow: Delay | ForEach | None = None
    if kind == "delay":
        flow = _delay(raw["delay"], file, kline, what, problems)
    elif kind == "delay_until":
        flow = _delay_until(raw["delay_until"], inner, kline, what)
    else:
        flow = _for_each(raw, ids, inner, kline, what, build_step)
    if step_id is not None:
        ids.append(step_id)
    if flow is None or len(problems.errors) > before:
        return None
    return Step(
        id=step_id,
        index=index,
        action=kind,
        params=templates.MapNode(()),
        condition=condition,
        file=file,
        line=node_line(raw, line),
        flow=flow,
    )


def _delay(value: Any, file: str, line: int, what: str, problems: Any) -> Delay | None:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        problems.error(file, line, f"{what}: delay: {exc}")
        return None
    if seconds > MAX_DELAY_SECONDS:
        problems.error(file, line, f"{what}: delay: {value} is over the 30 day maximum")
        return None
    return Delay(seconds=seconds)


def _delay_until(value: Any, scope: Scope, line: int, what: str) -> Delay | None:
    if not isinstance(value, str) or not value.strip():
        scope.problems.error(scope.file, line, f"{what}: delay_until: must be an ISO time")
        return None
    if not templates.has_template(value):
        from bridge.executor.delays import parse_when  # plain text: check it now

        try:
            parse_when(value)
        except ValueError as exc:
            scope.problems.error(scope.file, line, f"{what}: delay_until: {exc}")
            return None
    return Delay(until=compile_value(value, scope, line, f"{what} delay_until"))


def _for_each(
    raw: dict[Any, Any],
    ids: list[str],
    scope: Scope,
    line: int,
    what: str,
    build_step: BuildStep,
) -> ForEach | None:
    problems, file = scope.problems, scope.file
    source = raw["for_each"]
    if isinstance(source, str) and not templates.has_template(source):
        problems.error(
            file, line, f"{what}: for_each: {source!r} is not a list (give a list or a template)"
        )
    elif not isinstance(source, str | list):
        problems.error(file, line, f"{what}: for_each: must be a list or a template giving one")
    items = compile_value(source, scope, line, f"{what} for_each")
    max_items = raw.get("max_items", DEFAULT_MAX_ITEMS)
    if (
        isinstance(max_items, bool)
        or not isinstance(max_items, int)
        or not 1 <= max_items <= MAX_MAX_ITEMS
    ):
        problems.error(
            file,
            key_line(raw, "max_items"),
            f"{what}: max_items must be a whole number from 1 to {MAX_MAX_ITEMS}",
        )
        max_items = DEFAULT_MAX_ITEMS
    do = raw.get("do")
    if not isinstance(do, list) or not do:
        problems.error(file, line, f"{what}: for_each needs a do: list of steps")
        return None
    nested_scope = Scope(
        problems, scope.environ, file, names=scope.names | ITEM_NAMES, earlier=tuple(ids)
    )
    nested_ids = list(ids)
    steps: list[Step] = []
    for i, item in enumerate(do):
        if isinstance(item, dict) and flow_key(item) == "for_each":
            problems.error(
                file, item_line(do, i), f"{what}: a for_each inside a for_each is not supported"
            )
            continue
        step = build_step(item, i, nested_ids, item_line(do, i), nested_scope, f"{what} do")
        if step is not None:
            steps.append(step)
    return ForEach(items=items, steps=tuple(steps), max_items=int(max_items))
