"""`bridge rules check` and `bridge rules test`: what bridge/cli.py calls.

Both print to stdout and return the exit status: 0 when all is well, 1 on any problem.
The rules path defaults to BRIDGE_RULES, else ./rules.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bridge.events import Event
from bridge.exceptions import RulesError
from bridge.rules.dryrun import DISABLED, dry_run
from bridge.rules.loader import load
from bridge.rules.model import Ruleset

logger = logging.getLogger("bridge.rules.cli")

_EVENT_KEYS = ("id", "type", "source", "data")


def default_path(path: str | None) -> str:
    """The rules path to use: the one given, else BRIDGE_RULES, else ./rules."""
    return path or os.environ.get("BRIDGE_RULES") or "rules"


def _load(path: str) -> tuple[Ruleset | None, list[str]]:
    try:
        return load(path), []
    except RulesError as exc:
        return None, exc.problems


def check(path: str | None = None) -> int:
    """Validate the rules; print `file:line: message` per problem and a summary line."""
    where = default_path(path)
    ruleset, problems = _load(where)
    for problem in problems:
        print(problem)
    if ruleset is None:
        print(f"failed: {len(problems)} problem{'s' if len(problems) != 1 else ''} in {where}")
        return 1
    for warning in ruleset.warnings:
        print(_as_warning(warning))
    files = len(ruleset.files)
    print(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.hooks)} hooks in {files} "
        f"file{'s' if files != 1 else ''}"
        + (f" ({len(ruleset.warnings)} warnings)" if ruleset.warnings else "")
    )
    return 0


def _as_warning(line: str) -> str:
    """`file:line: message` -> `file:line: warning: message`."""
    head, sep, message = line.partition(": ")
    return f"{head}{sep}warning: {message}" if sep else f"warning: {line}"


def read_event(event_file: str) -> Event:
    """The event of a JSON file, or ValueError saying what is wrong with it."""
    try:
        raw: Any = json.loads(Path(event_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{event_file}: cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{event_file}:{exc.lineno}: not JSON: {exc.msg}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{event_file}: an event is a JSON object {{id, type, source, data}}")
    missing = [key for key in _EVENT_KEYS if key not in raw]
    if missing:
        raise ValueError(
            f"{event_file}: not a full event: missing {', '.join(missing)}"
            ' (expected {"id": ..., "type": "perfex.leads.created", "source": ..., "data": ...})'
        )
    if not isinstance(raw["type"], str) or not raw["type"]:
        raise ValueError(f"{event_file}: 'type' must be an event type string")
    return Event.from_dict(raw)


def test(event_file: str, rules_path: str | None = None) -> int:
    """Dry run: print as JSON which rules match the event and each step rendered.

    Returns 1 when the event file or the rules are unusable, or a template failed.
    """
    try:
        event = read_event(event_file)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    ruleset, problems = _load(default_path(rules_path))
    if ruleset is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    result = dry_run(ruleset, event)
    print(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    failed = any("error" in step for rule in result["matched"] for step in rule["steps"])
    failed = failed or any(
        item["reason"] not in ("if: was false", DISABLED) for item in result["not_matched"]
    )
    return 1 if failed else 0
