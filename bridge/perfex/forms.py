"""PHP-style form fields: what Perfex (PHP, CodeIgniter) reads as arrays from a form body.

Rules give plain nested mappings; PHP only understands flat `name[key][sub]=value` pairs.

    {"newitems": [{"description": "A", "qty": 2}]}
        -> newitems[0][description]=A, newitems[0][qty]=2
    {"custom_fields": {"leads": {3: "x"}}}  -> custom_fields[leads][3]=x
    {"assignees": [1, 2]}                   -> assignees[]=1, assignees[]=2

`decode_form` is the inverse, parsing pairs the way PHP fills `$_POST`, so a sandbox can
read what the client sends. Empty lists and mappings have no form representation: they are
left out, as a browser leaves out an empty multi-select.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

logger = logging.getLogger("bridge.perfex.forms")

_SEGMENT = re.compile(r"\[([^\]]*)\]")
_PHP_INT = re.compile(r"^(0|-?[1-9][0-9]{0,17})$")


def encode_form(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten nested mappings and lists into PHP-style form pairs, in order.

    Top-level keys that already contain brackets (`custom_fields[invoice][1]`) pass
    through unchanged. Booleans become "1"/"0" and None becomes "".
    """
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        _flatten(str(key), value, pairs)
    return pairs


def _flatten(name: str, value: Any, pairs: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{name}[{_scalar(key)}]", item, pairs)
    elif isinstance(value, list | tuple):
        if all(_is_scalar(item) for item in value):
            pairs.extend((f"{name}[]", _scalar(item)) for item in value)
        else:
            for index, item in enumerate(value):
                _flatten(f"{name}[{index}]", item, pairs)
    else:
        pairs.append((name, _scalar(value)))


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _scalar(value: Any) -> str:
    """The text PHP would see for one value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Parse form pairs into nested dicts and lists the way PHP builds `$_POST`.

    `a[]` appends, `a[k]` sets (a canonical integer `k` becomes an int key), the last
    value of a repeated name wins, and an array whose keys are exactly 0..n-1 in order
    comes back as a list. As in PHP, "." and " " in a top-level name become "_", and a
    name that starts with "[" is dropped.
    """
    root: dict[Any, Any] = {}
    for key, value in pairs:
        _assign(root, key, value)
    return {str(name): _listify(item) for name, item in root.items()}


def _assign(root: dict[Any, Any], key: str, value: str) -> None:
    bracket = key.find("[")
    base, rest = (key, "") if bracket < 0 else (key[:bracket], key[bracket:])
    if not base:
        logger.debug("form field %r has no name; dropped as PHP drops it", key)
        return
    segments: list[str] = []
    position = 0
    while match := _SEGMENT.match(rest, position):
        segments.append(match.group(1))
        position = match.end()
    if rest and not segments:
        # An unmatched "[" is not an array: PHP keeps it in the name as "_".
        base, segments = base + "_" + rest[1:], []
    base = base.replace(".", "_").replace(" ", "_")
    container = root
    name: Any = base
    for segment in segments:
        child = container.get(name)
        if not isinstance(child, dict):
            child = {}
            container[name] = child
        container = child
        name = _next_index(container) if segment == "" else _php_key(segment)
    container[name] = value


def _php_key(segment: str) -> str | int:
    """PHP turns canonical decimal integer keys into ints."""
    return int(segment) if _PHP_INT.match(segment) else segment


def _next_index(container: dict[Any, Any]) -> int:
    ints = [key for key in container if isinstance(key, int)]
    return max(ints) + 1 if ints and max(ints) >= 0 else 0


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if list(items) == list(range(len(items))):
        return list(items.values())
    return items
