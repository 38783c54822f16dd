"""Sandboxed Jinja2 templates, compiled once at load and rendered per event.

Every string in a step's fields is a template. A string that is exactly one `{{ expr }}`
keeps the expression's native type (an int stays an int, a dict stays a dict); any other
string with template syntax renders to a string; a string without it stays a constant.
Values are compiled into a small tree of nodes (`Const`, `Text`, `Native`, `MapNode`,
`ListNode`) whose `render(context)` walks it; nothing is parsed per event.

The environment is Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`:
`__class__`, `mro`, `__globals__` and other internals are refused, a typo raises
`TemplateError` naming the missing attribute (it lands in the run history instead of an
empty field sent to Perfex), and huge `*`/`**` results are refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bridge.events import Event
from bridge.exceptions import TemplateError

logger = logging.getLogger("bridge.rules.templates")

#: Names a step template or `if:` may use.
RULE_NAMES = frozenset({"event", "steps", "now"})
#: Names a hook's `event:` template may use.
HOOK_NAMES = frozenset({"headers", "body"})

_MARKERS = ("{{", "{%", "{#")
_SINGLE_EXPR = re.compile(r"^\{\{(?P<expr>.*)\}\}$", re.DOTALL)
_MAX_SIZE = 1_000_000


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a cap on `*` and `**` so a template cannot eat the memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 1000:
                raise self._refuse("exponent too large")
            return left**right
        for seq, count in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
            if sized and len(seq) * count > _MAX_SIZE:
                raise self._refuse("repetition too large")
        return left * right

    @staticmethod
    def _refuse(why: str) -> JinjaTemplateError:
        return SecurityError(why)


def _make_env() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    return env


ENV = _make_env()
_GLOBALS = frozenset(ENV.globals)


# -- compiled nodes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    """A value with no template in it: rendered as itself."""

    value: Any

    def render(self, context: Mapping[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class Text:
    """A string with template syntax: renders to a string."""

    template: Template
    where: str

    def render(self, context: Mapping[str, Any]) -> Any:
        try:
            return self.template.render(context)
        except Exception as exc:
            raise _render_error(exc, self.where) from exc


@dataclass(frozen=True, slots=True)
class Native:
    """A string that is exactly one `{{ expr }}`: renders to the expression's own type."""

    expression: Any  # jinja2.environment.TemplateExpression
    where: str

    def render(self, context: Mapping[str, Any]) -> Any:
        try:
            value = self.expression(**context)
            if isinstance(value, Undefined):
                str(value)  # StrictUndefined (and the sandbox's refusals) raise here
        except Exception as exc:
            raise _render_error(exc, self.where) from exc
        return value


@dataclass(frozen=True, slots=True)
class MapNode:
    """A mapping of compiled values."""

    items: tuple[tuple[str, Node], ...]

    def render(self, context: Mapping[str, Any]) -> Any:
        return {key: node.render(context) for key, node in self.items}


@dataclass(frozen=True, slots=True)
class ListNode:
    """A list of compiled values."""

    items: tuple[Node, ...]

    def render(self, context: Mapping[str, Any]) -> Any:
        return [node.render(context) for node in self.items]


Node = Const | Text | Native | MapNode | ListNode


def _render_error(exc: Exception, where: str) -> TemplateError:
    if isinstance(exc, TemplateError):
        return exc
    kind = type(exc).__name__
    return TemplateError(f"{where}: template failed ({kind}): {exc}")


# -- compiling ------------------------------------------------------------------------


def has_template(text: str) -> bool:
    """Whether a string holds template syntax at all (else it is a constant)."""
    return any(marker in text for marker in _MARKERS)


def single_expression(text: str) -> str | None:
    """The expression of a string that is exactly one `{{ expr }}`, else None."""
    found = _SINGLE_EXPR.match(text.strip())
    if not found:
        return None
    expr = found.group("expr")
    if any(marker in expr for marker in (*_MARKERS, "}}")):
        return None
    return expr


def parse(source: str) -> nodes.Template:
    """Parse a template (jinja2.TemplateSyntaxError on bad syntax)."""
    return ENV.parse(source)


def compile_text(source: str, where: str) -> Text | Native:
    """Compile a templated string (jinja2.TemplateError on a bad one)."""
    expr = single_expression(source)
    if expr is not None:
        return Native(ENV.compile_expression(expr, undefined_to_none=False), where)
    return Text(ENV.from_string(source), where)


def compile_condition(source: str, where: str) -> Native:
    """Compile an `if:` expression (no braces needed; `{{ x }}` is accepted too)."""
    expr = single_expression(source)
    return Native(ENV.compile_expression(expr if expr is not None else source, False), where)


def condition_source(source: str) -> str:
    """The template text to statically check for an `if:` expression."""
    expr = single_expression(source)
    return "{{ " + (expr if expr is not None else source) + " }}"


# -- static checks --------------------------------------------------------------------


def unsafe_accesses(tree: nodes.Template) -> list[str]:
    """Private attributes a template names (`__class__`, `_x`): refused at load."""
    found: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name: Any = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            arg = node.args[0]
            name = arg.value if isinstance(arg, nodes.Const) else None
        if isinstance(name, str) and (name.startswith("_") or name in ("mro", "gi_frame")):
            found.append(name)
    return found


def unknown_names(tree: nodes.Template, allowed: frozenset[str]) -> list[str]:
    """Top-level names a template uses that its context will not have."""
    return sorted(find_undeclared_variables(tree) - allowed - _GLOBALS)


def step_references(tree: nodes.Template) -> list[str]:
    """The `<id>` of every `steps.<id>` / `steps['<id>']` a template reads."""
    refs: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if not (isinstance(target, nodes.Name) and target.name == "steps"):
            continue
        if isinstance(node, nodes.Getattr):
            refs.append(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            refs.append(str(node.arg.value))
    return refs


# -- rendering ------------------------------------------------------------------------


def make_context(
    event: Event | Mapping[str, Any],
    steps: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The context templates see: `event` (a dict), `steps` (outputs by id), `now` (UTC)."""
    event_dict = event.to_dict() if isinstance(event, Event) else dict(event)
    return {"event": event_dict, "steps": dict(steps or {}), "now": now or datetime.now(UTC)}


def render(node: Node, context: Mapping[str, Any]) -> Any:
    """Render a compiled value (TemplateError on failure)."""
    return node.render(context)


def evaluate_condition(condition: Native | None, context: Mapping[str, Any]) -> bool:
    """An `if:` expression's truth; no condition means true (TemplateError on failure)."""
    return True if condition is None else bool(condition.render(context))
