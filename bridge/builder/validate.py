"""The checks before disk: the rules engine's own load, its `file:line` problems as field paths.

    errors, warnings = check_change(root, {path: new_text}, path, rule_index=0)
    # [{"path": "do[0].perfex.tasks.create.startdate", "message": "required by POST /tasks"}]

A change is checked by loading every rules file as it would be after the change, with the
same loader `bridge rules check` uses, so nothing the builder saves can fail to load. A
problem in the changed file is given as a path inside the rule (or `hooks[i]...`), found
from the YAML line it names; a problem elsewhere that the change caused (a duplicate name)
keeps its `file:line`. Problems that were already there before the change are not the
change's fault and are left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from bridge.builder import rulefiles
from bridge.exceptions import RulesError
from bridge.redaction import is_secret_name
from bridge.rules.checks import find_operation
from bridge.rules.loader import Source, load_sources, read_sources
from bridge.rules.model import Ruleset
from bridge.rules.problems import item_line, key_line

logger = logging.getLogger("bridge.builder.validate")

_PROBLEM = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$", re.DOTALL)
_RULE_PREFIX = re.compile(
    r"^rule (?:'[^']*'|\"[^\"]*\")(?: step (?P<step>\d+))?(?: [\w.\[\]-]+)?: "
)
_HOOK_PREFIX = re.compile(r"^hook (?:'[^']*'|\"[^\"]*\"): ")
_NEEDS = re.compile(r"^(?P<action>\S+) needs (?:a value for )?field '(?P<field>[^']+)'$")
_UNKNOWN_KEY = re.compile(r"unknown (?:key|action) '(?P<key>[^']+)'")
_ENV_ONLY = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def sources_after(root: Path, changes: Mapping[Path, str | None]) -> list[Source]:
    """The rules sources of `root` as they would be after `changes` (None: file removed)."""
    try:
        current = read_sources(root)
    except FileNotFoundError:
        current = []
    by_name = {source.name: source for source in current}
    for path, text in changes.items():
        if text is None:
            by_name.pop(str(path), None)
        else:
            by_name[str(path)] = Source(str(path), text)
    return [by_name[name] for name in sorted(by_name)]


def load_after(
    root: Path, changes: Mapping[Path, str | None], environ: Mapping[str, str]
) -> tuple[Ruleset | None, list[str]]:
    """The Ruleset the change would give, or None and the `file:line` problems."""
    try:
        return load_sources(sources_after(root, changes), environ), []
    except RulesError as exc:
        return None, exc.problems


def check_change(
    root: Path,
    changes: Mapping[Path, str | None],
    target: Path,
    rule_index: int | None,
    environ: Mapping[str, str],
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Errors and warnings of a change, as `{"path", "message"}`, all at once."""
    ruleset, problems = load_after(root, changes, environ)
    text = changes.get(target)
    lines = _line_paths(text, rule_index) if text is not None else {}
    errors: list[dict[str, str]] = []
    if problems:
        _, before = load_after(root, {}, environ)
        # Lines move with an edit, so a problem that was there before is known by file and
        # message: it is not this change's fault (another rule of a shared file, say).
        known = {_unplaced(problem) for problem in before}
        for problem in problems:
            if _unplaced(problem) in known:
                continue
            mapped = _map(problem, str(target), lines)
            errors.append(mapped or {"path": "", "message": problem})
    warnings: list[dict[str, str]] = []
    if ruleset is not None:
        for warning in ruleset.warnings:
            mapped = _map(warning, str(target), lines)
            if mapped is not None:
                warnings.append(mapped)
    return errors, warnings


def _unplaced(problem: str) -> tuple[str, str]:
    found = _PROBLEM.match(problem)
    return (found["file"], found["message"]) if found else ("", problem)


def literal_secrets(
    rule: Mapping[str, Any], hooks: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """A secret's value typed into a field: never written, it belongs in the environment."""
    found: list[dict[str, str]] = []

    def walk(value: Any, path: str, secret: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key), secret or is_secret_name(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]", secret)
        elif secret and isinstance(value, str) and value.strip() and not _referenced(value):
            found.append(
                {
                    "path": path,
                    "message": "a secret is never written into a rules file: put it in an"
                    " environment variable and give its name here, like ${CHAT_SECRET}",
                }
            )

    walk(dict(rule), "", False)
    for i, hook in enumerate(hooks):
        for key in ("secret", "username"):
            value = hook.get(key)
            if key == "secret" and isinstance(value, str) and not _ENV_ONLY.fullmatch(value):
                found.append(
                    {
                        "path": f"hooks[{i}].secret",
                        "message": "a hook's secret is the name of an environment variable,"
                        " like ${GITHUB_WEBHOOK_SECRET}; the builder never writes its value",
                    }
                )
    return found


def _referenced(value: str) -> bool:
    """Whether a value reads its secret from elsewhere (`${VAR}`, or the event: `{{ }}`)."""
    return bool(_ENV_ONLY.search(value)) or "{{" in value


def _map(problem: str, target: str, lines: dict[int, str]) -> dict[str, str] | None:
    """A problem of the target file as a field path; None for a problem of another file."""
    found = _PROBLEM.match(problem)
    if found is None or found["file"] != target:
        return None
    line, message = int(found["line"]), found["message"]
    path = lines.get(line, "")
    step = None
    rule_prefix = _RULE_PREFIX.match(message)
    if rule_prefix is not None:
        message = message[rule_prefix.end() :]
        step = rule_prefix["step"]
    else:
        hook_prefix = _HOOK_PREFIX.match(message)
        if hook_prefix is not None:
            message = message[hook_prefix.end() :]
    if step is not None and not path.startswith(f"do[{int(step) - 1}]"):
        path = f"do[{int(step) - 1}]"
    needs = _NEEDS.match(message)
    if needs is not None:
        action = needs["action"]
        operation = find_operation(action)
        if step is not None:
            base = f"do[{int(step) - 1}].{action}"
        else:
            base = path if path.endswith(action) else f"{path}.{action}".lstrip(".")
        path = f"{base}.{needs['field']}"
        where = f"{operation.method} {operation.path}" if operation else action
        message = f"required by {where}"
    unknown = _UNKNOWN_KEY.search(message)
    if unknown is not None and not path.endswith(unknown["key"]):
        path = f"{path}.{unknown['key']}".lstrip(".")
    return {"path": path, "message": message}


def _line_paths(text: str, rule_index: int | None) -> dict[int, str]:
    """For each line of the rule (and the file's hooks), the shallowest path starting there."""
    try:
        doc = rulefiles.parse(text)
    except YAMLError:
        return {}
    out: dict[int, str] = {}
    if not isinstance(doc, Mapping):
        return out
    rules = doc.get("rules")
    if rule_index is not None and isinstance(rules, list) and rule_index < len(rules):
        out[item_line(rules, rule_index)] = ""
        _walk(rules[rule_index], "", out)
    hooks = doc.get("hooks")
    if isinstance(hooks, list):
        for i, hook in enumerate(hooks):
            out.setdefault(item_line(hooks, i), f"hooks[{i}]")
            _walk(hook, f"hooks[{i}]", out)
    return out


def _walk(node: Any, prefix: str, out: dict[int, str]) -> None:
    if isinstance(node, Mapping):
        for key in node:
            path = f"{prefix}.{key}" if prefix else str(key)
            line = key_line(node, key)
            if line not in out:
                out[line] = path
            _walk(node[key], path, out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            path = f"{prefix}[{i}]"
            line = item_line(node, i)
            if line not in out:
                out[line] = path
            _walk(item, path, out)
