"""Collecting every problem of a load as `file:line: message`, with YAML line numbers.

The loader never stops at the first problem: each check adds to a `Problems` and the
load fails once at the end with all of them. Lines come from ruamel.yaml's round-trip
nodes (`.lc`), 1-based as editors show them.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

logger = logging.getLogger("bridge.rules.problems")


@dataclass(slots=True)
class Problems:
    """Errors and warnings of one load, kept with their position for sorting."""

    errors: list[tuple[str, int, str]] = field(default_factory=list)
    warnings: list[tuple[str, int, str]] = field(default_factory=list)

    def error(self, file: str, line: int, message: str) -> None:
        self.errors.append((file, line, message))

    def warning(self, file: str, line: int, message: str) -> None:
        self.warnings.append((file, line, message))

    @staticmethod
    def _format(items: list[tuple[str, int, str]]) -> list[str]:
        ordered = sorted(enumerate(items), key=lambda pair: (pair[1][0], pair[1][1], pair[0]))
        return [f"{file}:{line}: {message}" for _, (file, line, message) in ordered]

    def error_lines(self) -> list[str]:
        """Errors as `file:line: message`, in file and line order."""
        return self._format(self.errors)

    def warning_lines(self) -> list[str]:
        return self._format(self.warnings)


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close to the word, else ``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def node_line(node: Any, default: int = 1) -> int:
    """The 1-based line where a YAML mapping or sequence starts."""
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def key_line(mapping: Any, key: Any) -> int:
    """The 1-based line of a key in a YAML mapping (the mapping's line if unknown)."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return node_line(mapping)


def item_line(seq: Any, index: int) -> int:
    """The 1-based line of an item in a YAML sequence."""
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return node_line(seq)


def line_at(node: Any, loc: Sequence[Any]) -> int:
    """The line of the deepest node along a pydantic `loc` path that exists in the YAML."""
    line = node_line(node)
    for part in loc:
        if isinstance(node, dict) and part in node:
            line, node = key_line(node, part), node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line, node = item_line(node, part), node[part]
        else:
            break
    return line


def report_validation(
    problems: Problems,
    exc: ValidationError,
    raw: Any,
    file: str,
    *,
    what: str,
    keys: Iterable[str] = (),
    hints: dict[str, str] | None = None,
) -> None:
    """Turn pydantic's errors into `file:line` problems, one per location.

    `keys` are the known keys, for "did you mean"; `hints` add advice to a missing key.
    """
    known = list(keys)
    seen: set[tuple[Any, ...]] = set()
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _existing(raw, loc)
        name = str(loc[-1]) if loc else ""
        if err["type"] in ("missing", "extra_forbidden"):
            path = (*path, name)
        # Unions report one error per member; the first says enough.
        if path in seen:
            continue
        seen.add(path)
        line = line_at(raw, loc)
        if err["type"] == "extra_forbidden":
            message = f"{what}: unknown key {name!r}{suggest(name, known)}"
        elif err["type"] == "missing":
            message = f"{what}: missing required key {name!r}{(hints or {}).get(name, '')}"
        else:
            where = ".".join(str(p) for p in path)
            message = f"{what}: {where + ': ' if where else ''}{err['msg']}"
        problems.error(file, line, message)


def _existing(raw: Any, loc: Sequence[Any]) -> tuple[Any, ...]:
    """The leading part of a pydantic `loc` that names nodes present in the YAML."""
    path: list[Any] = []
    node = raw
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            break
        path.append(part)
    return tuple(path)
