"""PHP-style form encoding: nested fields flatten as PHP reads them, and parse back."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from bridge.perfex.forms import decode_form, encode_form


def test_list_of_mappings_is_indexed() -> None:
    """Invoice lines become newitems[0][description]=..., in order."""
    fields = {"newitems": [{"description": "A", "qty": 2}, {"description": "B", "qty": 1.5}]}
    assert encode_form(fields) == [
        ("newitems[0][description]", "A"),
        ("newitems[0][qty]", "2"),
        ("newitems[1][description]", "B"),
        ("newitems[1][qty]", "1.5"),
    ]


def test_custom_fields_nest_by_type_and_id() -> None:
    """custom_fields -> custom_fields[<belongs to>][<id>], int ids kept as written."""
    fields = {"custom_fields": {"leads": {3: "x", 7: ["a", "b"]}}}
    assert encode_form(fields) == [
        ("custom_fields[leads][3]", "x"),
        ("custom_fields[leads][7][]", "a"),
        ("custom_fields[leads][7][]", "b"),
    ]
    assert decode_form(encode_form(fields)) == fields


def test_list_of_scalars_pushes() -> None:
    """A list of scalars uses PHP's push syntax: assignees[]=1&assignees[]=2."""
    assert encode_form({"assignees": [1, 2]}) == [("assignees[]", "1"), ("assignees[]", "2")]
    assert decode_form([("assignees[]", "1"), ("assignees[]", "2")]) == {"assignees": ["1", "2"]}


def test_scalars_as_php_sees_them() -> None:
    """True/False become 1/0, None an empty string, numbers their text."""
    assert encode_form({"a": True, "b": False, "c": None, "d": 0, "e": "x y"}) == [
        ("a", "1"),
        ("b", "0"),
        ("c", ""),
        ("d", "0"),
        ("e", "x y"),
    ]


def test_bracketed_keys_pass_through() -> None:
    """A key already written PHP-style is sent as is."""
    pairs = encode_form({"custom_fields[invoice][1]": "v", "name": "n"})
    assert pairs == [("custom_fields[invoice][1]", "v"), ("name", "n")]
    assert decode_form(pairs) == {"custom_fields": {"invoice": {1: "v"}}, "name": "n"}


def test_empty_containers_are_left_out() -> None:
    """Empty lists and mappings have no form representation and send nothing."""
    assert encode_form({"removed_items": [], "meta": {}, "name": "n"}) == [("name", "n")]


def test_decode_follows_php_rules() -> None:
    """Last value wins, [] appends after the highest int key, odd names mangle like PHP."""
    pairs = [
        ("a", "1"),
        ("a", "2"),
        ("list[5]", "x"),
        ("list[]", "y"),
        ("first.name", "dot"),
        ("half[open", "h"),
        ("[nameless]", "dropped"),
        ("deep[a]trailing", "t"),
        ("scalar", "s"),
        ("scalar[k]", "array now"),
    ]
    assert decode_form(pairs) == {
        "a": "2",
        "list": {5: "x", 6: "y"},
        "first_name": "dot",
        "half_open": "h",
        "deep": {"a": "t"},
        "scalar": {"k": "array now"},
    }


def test_decode_keeps_non_canonical_numbers_as_strings() -> None:
    """Only canonical integers become int keys, as in PHP ("01" stays a string)."""
    assert decode_form([("x[01]", "a"), ("x[1]", "b"), ("x[-0]", "c")]) == {
        "x": {"01": "a", 1: "b", "-0": "c"}
    }


_names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)
_text = st.text(max_size=12)
_values: st.SearchStrategy[Any] = st.recursive(
    _text,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=4)
        | st.dictionaries(_names, inner, min_size=1, max_size=4)
    ),
    max_leaves=12,
)
_forms = st.dictionaries(_names, _values, max_size=5)


@given(_forms)
def test_round_trip(fields: dict[str, Any]) -> None:
    """decode_form(encode_form(x)) == x for text values, plain keys, non-empty containers."""
    assert decode_form(encode_form(fields)) == fields


@given(_forms)
def test_round_trip_over_the_wire(fields: dict[str, Any]) -> None:
    """The same holds through a real urlencoded body, as PHP would receive it."""
    body = urlencode(encode_form(fields))
    assert decode_form(parse_qsl(body, keep_blank_values=True)) == fields


_any_scalar = st.none() | st.booleans() | st.integers() | _text
_any_values: st.SearchStrategy[Any] = st.recursive(
    _any_scalar,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_names | st.integers(min_value=0, max_value=9), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(_names, _any_values, max_size=4))
def test_decoding_is_a_fixpoint(fields: dict[str, Any]) -> None:
    """For any value, what PHP reads once encodes back to what it reads again."""
    once = decode_form(encode_form(fields))
    assert decode_form(encode_form(once)) == once
