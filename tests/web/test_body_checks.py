"""JSON bodies: the full walk skipped when only nesting can be wrong, the text kept as sent."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bridge import constants
from bridge.constants import MAX_NESTING
from bridge.events import Event
from bridge.payloads import nesting_problem, problem
from bridge.web.bodies import BodyError, parse_body
from tests.web import signing

# Text with some lone surrogates, backslashes and `u`s (to look like escapes) mixed in.
_TEXT = st.text(
    st.one_of(
        st.characters(),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.sampled_from(["\\", "u", "d", "8"]),
    ),
    max_size=8,
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=16,
)


def _verdict(body: bytes) -> str | None:
    try:
        parse_body(body, "application/json")
    except BodyError as exc:
        assert exc.status == 400
        return exc.message
    return None


@settings(max_examples=300, deadline=None)
@given(
    value=_VALUES,
    depth=st.integers(0, 70),
    infinite=st.sampled_from([None, "1e400", "-1e999", "1e308"]),
)
def test_json_verdicts_match_the_full_check(value: Any, depth: int, infinite: str | None) -> None:
    """Whatever the mix of surrogate escapes, huge numbers and depth, a JSON body is
    refused exactly when the full walk over its parsed value refuses it, with its message."""
    for _ in range(depth):
        value = [value]
    text = json.dumps(value)  # ensure_ascii: a lone surrogate becomes a \udxxx escape
    if infinite is not None:
        text = f'{{"v": {text}, "n": {infinite}}}'
    why = problem(json.loads(text))
    assert _verdict(text.encode()) == (None if why is None else f"body refused: {why}")


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b'{"a": "\\\\ud800"}', False),  # an escaped backslash, then text: no surrogate
        (b'{"a": "\\uD800"}', True),  # upper-case hex is an escape too
        (b'{"a": "\\ud83d\\ude00"}', False),  # a pair (an emoji) is sound
        (b'{"a": 1.5e3, "b": [1e-400]}', False),  # underflow is 0.0, finite
        (b'{"a": [' + b"1e400, " * 3 + b"1]}", True),
    ],
)
def test_escape_and_number_edges(body: bytes, refused: bool) -> None:
    """Look-alike escapes, upper-case escapes, pairs and underflow get the full check's verdict."""
    assert (_verdict(body) is not None) is refused


def test_the_nesting_check_sees_tuples_and_subclasses() -> None:
    """Containers of any kind count as levels (tuples, dict and list subclasses), as in the
    full check; scalars never do."""

    class Items(list[Any]):
        pass

    def nest(levels: int) -> Any:
        value: Any = "leaf"
        for n in range(levels):
            value = (OrderedDict(a=value), Items([value]), (value,))[n % 3]
        return value

    for levels in (0, 1, MAX_NESTING, MAX_NESTING + 1, 3 * MAX_NESTING):
        assert nesting_problem(nest(levels)) == problem(nest(levels)), levels
    assert nesting_problem(nest(MAX_NESTING)) is None
    assert nesting_problem(nest(MAX_NESTING + 1)) == f"nested deeper than {MAX_NESTING} levels"


async def test_a_one_line_json_body_is_stored_as_sent(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """A compact body's own text is the stored data (not encoded again); a pretty-printed
    one is stored compactly; both read back as the parsed body."""
    one_line = b' {"action": "opened", "caf\\u00e9": "\xe2\x98\x95", "n": 1.50} '
    pretty = b'{\n  "action": "closed",\n  "n": 2\n}\n'
    for body, delivery in ((one_line, "d-1"), (pretty, "d-2")):
        headers = signing.github(body, delivery=delivery)
        response = await client.post("/hooks/github", content=body, headers=headers)
        assert response.status_code == 202, response.text
        raw = await redis.get(constants.EVENT_KEY + response.json()["event_id"])
        assert raw is not None
        stored = Event.from_json(raw)
        assert stored.data == json.loads(body)
        if body is one_line:
            assert body.strip().decode() in raw.decode()
        else:
            assert b"\n" not in raw
