"""Condition rows (field / operator / value) to a rule's `if:` expression and back.

    rows_to_expression([{"field": "event.data.status", "op": "==", "value": "2"}])
        -> "event.data.status | string == '2'"
    expression_to_rows("event.data.status | string == '2'")  -> the rows again
    expression_to_rows("event.data.x | length > 3 or now.hour < 9")  -> None

The expression is built from the rows, never pasted: a field must be a plain dotted path
under `event`, and a value is always a quoted string literal (or a number, for `>` and the
like), so a value such as `' or 1 == 1 or '` or `{{ ... }}` stays text. Reading an `if:`
back uses Jinja's own parser: anything that is not a flat `and` (or `or`) of the shapes
written here returns None, and the builder then offers the expression as text instead of
rewriting it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError

logger = logging.getLogger("bridge.builder.conditions")

OPS = (
    "==",
    "!=",
    "contains",
    "not contains",
    "starts with",
    ">",
    ">=",
    "<",
    "<=",
    "is empty",
    "is not empty",
)
_NO_VALUE = frozenset({"is empty", "is not empty"})
_NUMERIC = {">": "gt", ">=": "gteq", "<": "lt", "<=": "lteq"}
_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<="}
_SEGMENT = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
#: Bounds: a condition is for people to read, not a data dump.
MAX_ROWS = 50
MAX_VALUE = 1000
MAX_EXPRESSION = 10_000

_parser = Environment(autoescape=False)  # noqa: S701 - parsed only, never rendered


class ConditionError(ValueError):
    """A row that cannot become part of an expression (bad field, operator or value)."""


def rows_to_expression(rows: list[dict[str, Any]], any_: bool = False) -> str:
    """The `if:` for rows joined with `and` (`or` when `any_`); "" for no rows."""
    if not isinstance(rows, list):
        raise ConditionError("rows must be a list")
    if len(rows) > MAX_ROWS:
        raise ConditionError(f"at most {MAX_ROWS} condition rows")
    parts = [_row_expression(row, i) for i, row in enumerate(rows)]
    joiner = " or " if any_ else " and "
    # The two-part tests (`is empty`, `is not empty`) are bracketed when they have company.
    grouped = [
        f"({text})" if len(parts) > 1 and row.get("op") in _NO_VALUE else text
        for text, row in zip(parts, rows, strict=True)
    ]
    return joiner.join(grouped)


def _row_expression(row: Any, index: int) -> str:
    where = f"rows[{index}]"
    if not isinstance(row, dict):
        raise ConditionError(f"{where}: a row is {{field, op, value}}")
    field = row.get("field")
    op = row.get("op")
    if not isinstance(field, str) or not _is_field(field):
        raise ConditionError(
            f"{where}.field: a field is a dotted path under event, like event.data.status"
        )
    if op not in OPS:
        raise ConditionError(f"{where}.op: one of {', '.join(OPS)}")
    if op == "is empty":
        return f"{field} is not defined or not {field}"
    if op == "is not empty":
        return f"{field} is defined and {field}"
    value = row.get("value")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConditionError(f"{where}.value: {op} needs a value")
    text = str(value)
    if len(text) > MAX_VALUE:
        raise ConditionError(f"{where}.value: at most {MAX_VALUE} characters")
    if op in _NUMERIC:
        if not _NUMBER.match(text.strip()):
            raise ConditionError(f"{where}.value: {op} compares numbers; {text!r} is not one")
        return f"{field} | float {op} {text.strip()}"
    literal = _quote(text)
    if op == "contains":
        return f"{literal} in {field} | string"
    if op == "not contains":
        return f"{literal} not in {field} | string"
    if op == "starts with":
        return f"({field} | string).startswith({literal})"
    return f"{field} | string {op} {literal}"


def _is_field(path: str) -> bool:
    parts = path.split(".")
    return len(path) <= 200 and parts[0] == "event" and all(_SEGMENT.match(p) for p in parts)


def _quote(text: str) -> str:
    """A Jinja string literal holding exactly `text` (quotes and backslashes escaped)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def parse_expression(expr: str) -> tuple[list[dict[str, str]], bool] | None:
    """Rows and whether they are joined with `or`, or None when `expr` is not rows."""
    if not isinstance(expr, str) or len(expr) > MAX_EXPRESSION:
        return None
    if not expr.strip():
        return [], False
    try:
        node = _parser.parse("{{ " + expr + " }}")
    except TemplateSyntaxError:
        return None
    body = node.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    root = body[0].nodes[0]
    single = _row(root)
    if single is not None:
        return [single], False
    for joiner, any_ in ((nodes.And, False), (nodes.Or, True)):
        if isinstance(root, joiner):
            rows = [_row(part) for part in _flatten(root, joiner)]
            if all(row is not None for row in rows):
                return [row for row in rows if row is not None], any_
    return None


def expression_to_rows(expr: str) -> list[dict[str, str]] | None:
    """The rows of an `if:`, or None when it cannot be shown as rows."""
    parsed = parse_expression(expr)
    return None if parsed is None else parsed[0]


def _flatten(node: nodes.Node, joiner: type[nodes.BinExpr]) -> list[nodes.Node]:
    if isinstance(node, joiner) and _row(node) is None:
        return [*_flatten(node.left, joiner), *_flatten(node.right, joiner)]
    return [node]


def _row(node: nodes.Node) -> dict[str, str] | None:
    """One row from one comparison, or None."""
    if isinstance(node, nodes.Or) and isinstance(node.right, nodes.Not):
        left, right = node.left, node.right.node
        if isinstance(left, nodes.Not) and isinstance(left.node, nodes.Test):
            test = left.node
            field = _field(test.node)
            if test.name == "defined" and field is not None and _field(right) == field:
                return {"field": field, "op": "is empty", "value": ""}
    if isinstance(node, nodes.And) and isinstance(node.left, nodes.Test):
        field = _field(node.left.node)
        if node.left.name == "defined" and field is not None and _field(node.right) == field:
            return {"field": field, "op": "is not empty", "value": ""}
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        return _compare(node.expr, node.ops[0])
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        call = node.node
        if call.attr == "startswith" and len(node.args) == 1 and not node.kwargs:
            field, value = _field(call.node, "string"), _const(node.args[0])
            if field is not None and isinstance(value, str):
                return {"field": field, "op": "starts with", "value": value}
    return None


def _compare(left: nodes.Node, operand: nodes.Operand) -> dict[str, str] | None:
    if operand.op in ("in", "notin"):
        field, value = _field(operand.expr, "string"), _const(left)
        if field is None or not isinstance(value, str):
            return None
        op = "contains" if operand.op == "in" else "not contains"
        return {"field": field, "op": op, "value": value}
    if operand.op not in _COMPARE:
        return None
    op = _COMPARE[operand.op]
    numeric = op in _NUMERIC
    field = _field(left, "float", "int") if numeric else _field(left, "string")
    value = _const(operand.expr)
    if field is None or value is None or isinstance(value, bool):
        return None
    if numeric and not isinstance(value, int | float):
        return None
    return {"field": field, "op": op, "value": str(value)}


def _const(node: nodes.Node) -> str | int | float | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str | int | float):
        value: str | int | float = node.value
        return value
    if isinstance(node, nodes.Neg) and isinstance(node.node, nodes.Const):
        inner = node.node.value
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
    return None


def _field(node: nodes.Node, *filters: str) -> str | None:
    """`event.a.b` (optionally through one of the given filters, without arguments)."""
    if isinstance(node, nodes.Filter) and node.name in filters:
        if node.args or node.kwargs or node.node is None:
            return None
        node = node.node
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            key = node.arg.value
            if not isinstance(key, str) or not _SEGMENT.match(key):
                return None
            parts.append(key)
            node = node.node
        elif isinstance(node, nodes.Name) and node.name == "event" and parts:
            return ".".join(["event", *reversed(parts)])
        else:
            return None
