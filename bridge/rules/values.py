"""Compiling a YAML value into template nodes, with `${VAR}` and every template check.

`${VAR}` is read from the environment at load time. Its value is never parsed as a
template: in a plain string it is pasted as is, in a templated string it is wrapped in
`{% raw %}` when it holds template characters. Each templated string is parsed once,
checked (syntax, private attributes, unknown names, `steps.<id>` pointing at an earlier
step) and compiled; problems go to the load's `Problems` with the value's line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import TemplateError as JinjaTemplateError
from jinja2 import TemplateSyntaxError

from bridge.rules import templates
from bridge.rules.problems import Problems, item_line, key_line, suggest

logger = logging.getLogger("bridge.rules.values")

#: Names that exist in some places only, and where.
_ONLY_IN = {
    "item": "; item exists only in the do: steps of a for_each",
    "index": "; index exists only in the do: steps of a for_each",
}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(slots=True)
class Scope:
    """Where a value sits and what its templates may name."""

    problems: Problems
    environ: Mapping[str, str]
    file: str
    #: Names the context has: event/steps/now for rules, headers/body for hooks.
    names: frozenset[str] = templates.RULE_NAMES
    #: Step ids defined earlier in the same rule.
    earlier: Collection[str] = ()
    #: In a disabled rule an unset `${VAR}` is a warning (it must be set to enable the rule).
    optional_env: bool = False


def expand_env(text: str, scope: Scope, line: int, *, templated: bool = False) -> str:
    """Replace `${VAR}` with the variable's value; an unset one is a problem."""

    def replace(found: re.Match[str]) -> str:
        name = found.group(1)
        value = scope.environ.get(name)
        if value is None and scope.optional_env:
            scope.problems.warning(
                scope.file,
                line,
                f"environment variable {name} is not set (set it before enabling the rule)",
            )
            return found.group(0)
        if value is None:
            scope.problems.error(scope.file, line, f"environment variable {name} is not set")
            return found.group(0)
        if templated and any(c in value for c in "{}%#"):
            if "endraw" in value:
                scope.problems.error(
                    scope.file, line, f"environment variable {name} holds template syntax"
                )
            return "{% raw %}" + value + "{% endraw %}"
        return value

    return _ENV_REF.sub(replace, text) if "${" in text else text


def check_template(source: str, scope: Scope, line: int, what: str) -> bool:
    """Parse and check a template's source; True when it is fit to compile."""
    try:
        tree = templates.parse(source)
    except TemplateSyntaxError as exc:
        scope.problems.error(scope.file, line, f"{what}: template does not parse: {exc.message}")
        return False
    ok = True
    for name in templates.unsafe_accesses(tree):
        scope.problems.error(
            scope.file, line, f"{what}: templates may not access {name!r} (internal attribute)"
        )
        ok = False
    for name in templates.unknown_names(tree, scope.names):
        known = ", ".join(sorted(scope.names))
        scope.problems.error(
            scope.file,
            line,
            f"{what}: unknown name {name!r} in template{suggest(name, scope.names)}"
            f" (the context has {known}){_ONLY_IN.get(name, '')}",
        )
        ok = False
    if "steps" in scope.names:
        for ref in templates.step_references(tree):
            if ref not in scope.earlier:
                scope.problems.error(
                    scope.file,
                    line,
                    f"{what}: steps.{ref} refers to no earlier step of this rule"
                    f"{suggest(ref, scope.earlier)}",
                )
                ok = False
    return ok


def compile_string(text: str, scope: Scope, line: int, what: str) -> templates.Node:
    """A string value: a constant, a text template or a native `{{ expr }}`."""
    if not templates.has_template(text):
        return templates.Const(expand_env(text, scope, line))
    source = expand_env(text, scope, line, templated=True)
    if not check_template(source, scope, line, what):
        return templates.Const(None)
    try:
        return templates.compile_text(source, f"{scope.file}:{line}: {what}")
    except JinjaTemplateError as exc:
        scope.problems.error(scope.file, line, f"{what}: template does not compile: {exc}")
        return templates.Const(None)


def compile_condition(value: Any, scope: Scope, line: int, what: str) -> templates.Native | None:
    """An `if:` value: a Jinja2 expression (or a plain true/false)."""
    if isinstance(value, bool):
        return templates.Native(lambda **_: value, what) if not value else None
    if not isinstance(value, str) or not value.strip():
        scope.problems.error(scope.file, line, f"{what}: must be an expression (a string)")
        return None
    if not check_template(templates.condition_source(value), scope, line, what):
        return None
    try:
        return templates.compile_condition(value, f"{scope.file}:{line}: {what}")
    except JinjaTemplateError as exc:
        scope.problems.error(scope.file, line, f"{what}: expression does not parse: {exc}")
        return None


def compile_value(value: Any, scope: Scope, line: int, what: str) -> templates.Node:
    """Any YAML value: mappings and lists recursively, strings as templates."""
    if isinstance(value, dict):
        items = tuple(
            (
                str(key),
                compile_value(item, scope, key_line(value, key), f"{what}.{key}"),
            )
            for key, item in value.items()
        )
        return templates.MapNode(items)
    if isinstance(value, list):
        return templates.ListNode(
            tuple(
                compile_value(item, scope, item_line(value, i), f"{what}[{i}]")
                for i, item in enumerate(value)
            )
        )
    if isinstance(value, str):
        return compile_string(str(value), scope, line, what)
    return templates.Const(plain(value))


def plain(value: Any) -> Any:
    """A ruamel scalar as the plain Python value (ScalarFloat -> float, ...)."""
    if value is None or isinstance(value, bool | date):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
