"""Sandboxed Jinja2 templates, compiled once at load and rendered per event.

Every string in a step's fields is a template. A string that is exactly one `{{ expr }}`
keeps the expression's native type (an int stays an int, a dict stays a dict); any other
string with template syntax renders to a string; a string without it stays a constant.
Values are compiled into a small tree of nodes (`Const`, `Text`, `Native`, `MapNode`,
`ListNode`) whose `render(context)` walks it; nothing is parsed per event.

The environment is Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`:
`__class__`, `mro`, `__globals__` and other internals are refused, a typo raises
`TemplateError` naming the missing attribute (it lands in the run history instead of an
empty field sent to Perfex). Nothing a template does may build more than the render
budget's size (`budget.LIMITS.max_chars`): `*`, `+`, `~`, `%`, the amplifying filters
(`center`, `indent`, `replace`, `format`, `join`, `batch`, `slice`, ...) and `str` methods
check the size they would build before building it (`TemplateTooHeavy`), rendered text
stops at it as it grows, and every top-level render is timed (bridge/rules/budget.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import update_wrapper
from typing import Any

from jinja2 import Environment, StrictUndefined, Template, Undefined, nodes
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bridge.events import Event
from bridge.exceptions import TemplateError, TemplateTooHeavy
from bridge.rules.budget import LIMITS, within_budget

logger = logging.getLogger("bridge.rules.templates")

#: Names a step template or `if:` may use.
RULE_NAMES = frozenset({"event", "steps", "now"})
#: Names a hook's `event:` template may use.
HOOK_NAMES = frozenset({"headers", "body"})

_MARKERS = ("{{", "{%", "{#")
_SINGLE_EXPR = re.compile(r"^\{\{(?P<expr>.*)\}\}$", re.DOTALL)


def _too_heavy(why: str) -> TemplateTooHeavy:
    return TemplateTooHeavy(f"{why} (render budget: {LIMITS.max_chars} characters)")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set) else 0


def _check_size(value: Any, what: str) -> Any:
    if _size(value) > LIMITS.max_chars:
        raise _too_heavy(f"{what} would be too large")
    return value


_NUMBER = re.compile(r"\d+")
_NESTED_SPEC = re.compile(r"\{[^{}]*\{")


def _check_format(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], what: str) -> None:
    """Refuse a format string whose width or precision (or a `*`/nested one) is too large."""
    cap = LIMITS.max_chars
    if any(len(n) > 7 or int(n) > cap for n in _NUMBER.findall(fmt)):
        raise _too_heavy(f"{what}: width too large")
    if "*" in fmt or _NESTED_SPEC.search(fmt):
        numbers = [*args, *kwargs.values()]
        if any(isinstance(n, int) and abs(n) > cap for n in numbers):
            raise _too_heavy(f"{what}: width too large")


def _check_widths(args: tuple[Any, ...], what: str) -> None:
    if any(isinstance(n, int) and not isinstance(n, bool) and n > LIMITS.max_chars for n in args):
        raise _too_heavy(f"{what}: size argument too large")


def _check_replace(text: Any, old: Any, new: Any, what: str) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    hits = text.count(old) if old else len(text) + 1
    if len(text) + hits * max(len(new) - len(old), 0) > LIMITS.max_chars:
        raise _too_heavy(f"{what} would be too large")


def _check_join(items: Any, separator: Any, what: str) -> None:
    sized = isinstance(items, list | tuple | range | str)
    if sized and len(items) * len(str(separator)) > LIMITS.max_chars:
        raise _too_heavy(f"{what} would be too large")


def _checked_filter(name: str, function: Any) -> Any:
    """A filter that refuses to build more than the budget allows, before building it."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        # pass_context/pass_environment filters get those first; the value follows
        values = [a for a in args if not isinstance(a, Context | Environment | EvalContext)]
        value, rest = (values[0], tuple(values[1:])) if values else (None, ())
        if name in ("center", "indent", "batch", "slice", "wordwrap", "truncate"):
            _check_widths(rest + tuple(kwargs.values()), f"filter {name}")
        elif name == "format" and isinstance(value, str):
            _check_format(value, rest, kwargs, "filter format")
        elif name == "replace" and len(rest) >= 2:
            _check_replace(value, rest[0], rest[1], "filter replace")
        elif name == "join":
            separator = rest[0] if rest else kwargs.get("d", "")
            _check_join(value, separator, "filter join")
        return _check_size(function(*args, **kwargs), f"filter {name}")

    update_wrapper(checked, function)
    return checked


_STR_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus the size budget on every operator, filter and method call."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        cap = LIMITS.max_chars
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 1000:
                raise self._refuse("exponent too large")
            return left**right
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sized and len(seq) * count > cap:
                    raise _too_heavy("repetition too large")
            return left * right
        if operator == "+":
            if _size(left) + _size(right) > cap:
                raise _too_heavy("concatenation too large")
            return left + right
        if operator == "%":
            if isinstance(left, str):
                args = right if isinstance(right, tuple) else (right,)
                _check_format(left, args, right if isinstance(right, dict) else {}, "% format")
                return _check_size(left % right, "% format")
            return left % right
        return left // right

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str):
            where = f"str.{name}()"
            if name in _STR_WIDTH_METHODS:
                _check_widths(args + tuple(kwargs.values()), where)
            elif name in ("format", "format_map"):
                mapping = args[0] if name == "format_map" and args else kwargs
                _check_format(owner, args, mapping if isinstance(mapping, dict) else {}, where)
            elif name == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1], where)
            elif name == "join" and args:
                _check_join(args[0], owner, where)
        result = super().call(__context, __obj, *args, **kwargs)
        return _check_size(result, f"{name or 'call'}()")

    @staticmethod
    def _refuse(why: str) -> JinjaTemplateError:
        return SecurityError(why)

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        """`a ~ b`: joined only when the result fits the budget."""
        texts = [str(part) for part in parts]
        if sum(map(len, texts)) > LIMITS.max_chars:
            raise _too_heavy("concatenation too large")
        return "".join(texts)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~` routed through the sandbox's size check."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


_Sandbox.code_generator_class = _CodeGenerator


def _make_env() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    env.filters = {name: _checked_filter(name, f) for name, f in env.filters.items()}
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
        return within_budget(self._render, context)

    def _render(self, context: Mapping[str, Any]) -> Any:
        try:
            # piece by piece, so a loop stops at the size budget instead of after it
            cap, size, pieces = LIMITS.max_chars, 0, []
            for piece in self.template.generate(context):
                size += len(piece)
                if size > cap:
                    raise _too_heavy("the rendered text would be too large")
                pieces.append(piece)
            return "".join(pieces)
        except Exception as exc:
            raise _render_error(exc, self.where) from exc


@dataclass(frozen=True, slots=True)
class Native:
    """A string that is exactly one `{{ expr }}`: renders to the expression's own type."""

    expression: Any  # jinja2.environment.TemplateExpression
    where: str

    def render(self, context: Mapping[str, Any]) -> Any:
        return within_budget(self._render, context)

    def _render(self, context: Mapping[str, Any]) -> Any:
        try:
            value = self.expression(**context)
            if isinstance(value, Undefined):
                str(value)  # StrictUndefined (and the sandbox's refusals) raise here
            _check_size(value, "the value")
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
    if isinstance(exc, TemplateTooHeavy):
        return TemplateTooHeavy(f"{where}: {exc}")
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
