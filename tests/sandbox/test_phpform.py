"""PHP-style form keys are nested the way PHP fills $_POST."""

from __future__ import annotations

from bridge.sandbox.phpform import parse_pairs, split_key


def test_split_key_reads_brackets() -> None:
    """`a[b][]` splits into its segments; a plain key stays whole."""
    assert split_key("newitems[0][qty]") == ["newitems", "0", "qty"]
    assert split_key("assignees[]") == ["assignees", ""]
    assert split_key("name") == ["name"]
    assert split_key("[odd]") == ["[odd]"]


def test_numbered_rows_become_lists() -> None:
    """`newitems[0][..]`, `newitems[1][..]` is a list of rows; `x[]` appends."""
    fields = parse_pairs(
        [
            ("newitems[0][description]", "A"),
            ("newitems[0][qty]", "2"),
            ("newitems[1][description]", "B"),
            ("assignees[]", "1"),
            ("assignees[]", "3"),
        ]
    )
    assert fields == {
        "newitems": [{"description": "A", "qty": "2"}, {"description": "B"}],
        "assignees": ["1", "3"],
    }


def test_custom_fields_keep_their_ids() -> None:
    """`custom_fields[invoice][2]` stays a mapping keyed by the field id."""
    fields = parse_pairs([("custom_fields[invoice][2]", "x"), ("name", "n")])
    assert fields == {"custom_fields": {"invoice": {"2": "x"}}, "name": "n"}


def test_later_key_wins() -> None:
    """A repeated plain key keeps the last value, as PHP does."""
    assert parse_pairs([("a", "1"), ("a", "2")]) == {"a": "2"}
