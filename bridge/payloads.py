"""Bounds on the data the bridge walks: nesting depth, valid Unicode, finite numbers.

Inbound bodies are checked once at the door (`problem`): JSON may spell a lone surrogate
(`"\\ud800"`), an infinite number (`1e400`) or nest hundreds deep, all of which parse in
Python but break later (UTF-8 encoding of a view, `allow_nan=False` JSON, RecursionError).
What is already stored, and what receivers answer, is made safe to show with `scrub`.
Both stop at `constants.MAX_NESTING` and never recurse deeper than it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from bridge.constants import MAX_NESTING

logger = logging.getLogger("bridge.payloads")

_CONTAINERS = (dict, list, tuple)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _bad_text(text: str) -> bool:
    """Whether `text` holds a lone surrogate (cannot be encoded as UTF-8)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_surrogate(text: str) -> str:
    found = next((ch for ch in text if 0xD800 <= ord(ch) <= 0xDFFF), "\ud800")
    return f"\\u{ord(found):04x}"


def problem(value: Any, max_depth: int = MAX_NESTING) -> str | None:
    """Why `value` may not be stored (a sentence for the sender), or None when it may.

    Iterative, so a structure of any depth is checked without recursion.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= max_depth:
                return f"nested deeper than {max_depth} levels"
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and _bad_text(key):
                    return f"a key holds a lone surrogate ({_first_surrogate(key)}), not Unicode"
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            if _bad_text(item):
                return f"a string holds a lone surrogate ({_first_surrogate(item)}), not Unicode"
        elif isinstance(item, float) and not math.isfinite(item):
            return "a number is too large to be finite (e.g. 1e400)"
    return None


def nesting_problem(value: Any, max_depth: int = MAX_NESTING) -> str | None:
    """`problem`'s depth check alone, for values whose strings and numbers are already
    known to be sound: level by level over containers only, scalars passed over by type
    (a parsed GitHub payload in about a third of `problem`'s time)."""
    level = [value] if isinstance(value, _CONTAINERS) else []
    depth = 0
    while level:
        if depth >= max_depth:
            return f"nested deeper than {max_depth} levels"
        below: list[Any] = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if type(child) not in _SCALARS and isinstance(child, _CONTAINERS):
                    below.append(child)
        level = below
        depth += 1
    return None


def _fix_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD."""
    if not _bad_text(text):
        return text
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def scrub(value: Any, max_depth: int = MAX_NESTING) -> Any:
    """A copy of `value` safe to encode and show: lone surrogates become U+FFFD, an
    infinite number its text, anything nested deeper than `max_depth` a short marker."""
    return _scrub(value, max_depth, max_depth)


def _scrub(item: Any, left: int, limit: int) -> Any:
    if isinstance(item, str):
        return _fix_text(item)
    if isinstance(item, float):
        return item if math.isfinite(item) else repr(item)
    if isinstance(item, dict | list | tuple):
        if left <= 0:
            return f"[nested deeper than {limit} levels: not shown]"
        if isinstance(item, dict):
            return {
                (_fix_text(k) if isinstance(k, str) else k): _scrub(v, left - 1, limit)
                for k, v in item.items()
            }
        return [_scrub(child, left - 1, limit) for child in item]
    return item


def is_clean(value: Any, max_depth: int = MAX_NESTING) -> bool:
    """Whether `value` needs no scrubbing to be shown."""
    return problem(value, max_depth) is None
