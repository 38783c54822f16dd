"""Condition rows <-> `if:` expressions: round trips, evaluation, injection, the unparseable."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.builder.conditions import (
    OPS,
    ConditionError,
    expression_to_rows,
    parse_expression,
    rows_to_expression,
)
from bridge.rules import templates


def _holds(expression: str, data: dict[str, Any]) -> bool:
    """Evaluate an expression the way the rules engine evaluates a rule's `if:`."""
    node = templates.compile_condition(expression, "test")
    event = {"id": "e", "type": "perfex.leads.created", "source": "perfex", "data": data}
    return templates.evaluate_condition(node, templates.make_context(event))


def _row(field: str, op: str, value: str = "") -> dict[str, str]:
    return {"field": f"event.data.{field}", "op": op, "value": value}


CASES = [
    (_row("status", "==", "2"), {"status": 2}, {"status": "3"}),
    (_row("status", "!=", "2"), {"status": "3"}, {"status": "2"}),
    (_row("name", "contains", "Ltd"), {"name": "Acme Ltd."}, {"name": "Acme"}),
    (_row("name", "not contains", "test"), {"name": "Acme"}, {"name": "a test lead"}),
    (_row("email", "starts with", "ceo@"), {"email": "ceo@x.com"}, {"email": "me@ceo.com"}),
    (_row("total", ">", "100"), {"total": "100.50"}, {"total": "100"}),
    (_row("total", ">=", "100"), {"total": 100}, {"total": "99.9"}),
    (_row("total", "<", "-1.5"), {"total": "-2"}, {"total": "-1.5"}),
    (_row("total", "<=", "0"), {"total": "0"}, {"total": "0.1"}),
    (_row("phone", "is empty"), {"phone": ""}, {"phone": "555"}),
    (_row("phone", "is empty"), {}, {"phone": "555"}),
    (_row("phone", "is not empty"), {"phone": "555"}, {}),
]


@pytest.mark.parametrize(("row", "true_for", "false_for"), CASES, ids=lambda c: str(c))
def test_each_operator_compiles_evaluates_and_reads_back(
    row: dict[str, str], true_for: dict[str, Any], false_for: dict[str, Any]
) -> None:
    """Every operator gives an expression the engine evaluates as meant, read back as the row."""
    expression = rows_to_expression([row])
    assert _holds(expression, true_for) is True
    assert _holds(expression, false_for) is False
    assert expression_to_rows(expression) == [row]


def test_every_operator_is_covered() -> None:
    """The cases above exercise each operator of the contract."""
    assert {row["op"] for row, _, _ in CASES} == set(OPS)


@pytest.mark.parametrize("any_", [False, True])
def test_several_rows_join_with_and_or_or(any_: bool) -> None:
    """Rows join with `and` (or `or` for "any"), two-part tests bracketed; read back the same."""
    rows = [_row("status", "==", "2"), _row("phone", "is empty"), _row("x", "is not empty")]
    expression = rows_to_expression(rows, any_)
    assert parse_expression(expression) == (rows, any_)
    data = {"status": "2", "phone": "555", "x": ""}
    assert _holds(expression, data) is any_


@pytest.mark.parametrize(
    "value",
    [
        "' or 1 == 1 or '",
        "{{ event.data.secret }}",
        "{% for x in range(10**9) %}{% endfor %}",
        "back\\slash 'quote' \"double\" \n newline \t tab é 中",
        "}} {{",
    ],
)
def test_values_stay_text(value: str) -> None:
    """A hostile value is a quoted literal: it matches only itself, never runs, reads back."""
    row = _row("name", "==", value)
    expression = rows_to_expression([row])
    assert _holds(expression, {"name": value, "secret": "s3cret"}) is True
    assert _holds(expression, {"name": "other", "secret": "s3cret"}) is False
    assert expression_to_rows(expression) == [row]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"field": "event.data.x }} {{ 1", "op": "==", "value": "1"}, "rows[0].field"),
        ({"field": "now.hour", "op": "==", "value": "1"}, "rows[0].field"),
        ({"field": "event.data.__class__", "op": "==", "value": "1"}, "rows[0].field"),
        ({"field": "event.data._private", "op": "==", "value": "1"}, None),
        ({"field": "event.data.x", "op": "matches", "value": "1"}, "rows[0].op"),
        ({"field": "event.data.x", "op": ">", "value": "ten"}, "compares numbers"),
        ({"field": "event.data.x", "op": "==", "value": None}, "needs a value"),
        ({"field": "event.data.x", "op": "==", "value": "x" * 1001}, "at most 1000"),
        ("not a row", "a row is"),
    ],
)
def test_bad_rows_are_refused_with_where(row: Any, message: str | None) -> None:
    """A field that is not a dotted event path, an unknown operator or a bad value is a
    ConditionError naming the row (dunder segments too; a plain `_name` is allowed)."""
    if message is None:
        assert rows_to_expression([row])
        return
    with pytest.raises(ConditionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        rows_to_expression([row])


def test_too_many_rows_refused() -> None:
    """Rows are bounded."""
    with pytest.raises(ConditionError, match="at most 50"):
        rows_to_expression([_row("x", "==", "1")] * 51)


@pytest.mark.parametrize(
    "expression",
    [
        "now.hour < 9",
        "event.data.x | length > 3",
        "event.data.a == '1' and event.data.b == '2' or event.data.c == '3'",
        "event.data['a-b'] == '1'",
        "event.data.x == event.data.y",
        "event.data.x in ['1', '2']",
        "{{ broken",
        "x" * 10_001,
    ],
)
def test_expressions_that_are_not_rows_give_none(expression: str) -> None:
    """An `if:` that is not a flat and/or of row shapes is not rows (shown as text instead)."""
    assert expression_to_rows(expression) is None


def test_hand_written_shapes_read_as_rows() -> None:
    """Common hand-written forms (no `| string`, `is defined and x`) read as rows."""
    assert expression_to_rows("event.data.action == 'opened'") == [
        {"field": "event.data.action", "op": "==", "value": "opened"}
    ]
    assert expression_to_rows("event.data.email is defined and event.data.email") == [
        {"field": "event.data.email", "op": "is not empty", "value": ""}
    ]
    assert expression_to_rows("") == []
