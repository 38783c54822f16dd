"""What the rules API does with rules files: create, read, edit, delete, switch on and off.

Each write is: find the rule's file, check the version the caller read, make the new text
(ruamel round trip), check it with the rules engine's own loader as the whole rules path
would be after the write, then write it atomically. The admin API is a thin caller; the
audit log is written by the caller, which knows who asked.

    saved = create(root, {"name": ..., "on": ..., "do": [...]}, hooks=[], environ=os.environ)
    view = read(root, "lead-to-task")          # rule, file, version, hooks, conditions, yaml
    saved = update(root, "lead-to-task", rule, hooks=None, version=view["version"], environ=...)
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from bridge.builder import rulefiles
from bridge.builder.conditions import parse_expression
from bridge.builder.validate import check_change, literal_secrets
from bridge.exceptions import RuleFileConflict, RuleInvalid

logger = logging.getLogger("bridge.builder.service")

#: Limits on what a request may hold: a rule is for people to read.
MAX_STEPS = 100
MAX_HOOKS = 20


class RuleNotFound(LookupError):
    """No rule with that name in the rules path."""


@dataclass(frozen=True, slots=True)
class Saved:
    """The outcome of a write: what the API answers with."""

    name: str
    file: str
    version: str
    warnings: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "version": self.version,
            "warnings": self.warnings,
        }


def writable(root: Path) -> bool:
    """Whether the builder can save here: a directory it can create files in (a single
    rules file, a ConfigMap or a read-only mount cannot)."""
    return rulefiles.writable(root)


def check_shape(rule: Any, hooks: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The request's rule and hooks, or RuleInvalid for what is not even a rule."""
    errors: list[dict[str, str]] = []
    if not isinstance(rule, dict):
        raise RuleInvalid([{"path": "", "message": "rule must be an object: {name, on, do}"}])
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors.append({"path": "name", "message": "a rule needs a name (at most 200 characters)"})
    if isinstance(rule.get("do"), list) and len(rule["do"]) > MAX_STEPS:
        errors.append({"path": "do", "message": f"at most {MAX_STEPS} steps"})
    if hooks is None:
        hooks = []
    if not isinstance(hooks, list) or len(hooks) > MAX_HOOKS:
        errors.append({"path": "hooks", "message": f"hooks must be a list (at most {MAX_HOOKS})"})
        hooks = []
    for i, hook in enumerate(hooks):
        if not isinstance(hook, dict) or not isinstance(hook.get("name"), str):
            errors.append({"path": f"hooks[{i}]", "message": "a hook is {name, verify, ...}"})
    if errors:
        raise RuleInvalid(errors)
    return rule, hooks


def create(
    root: Path,
    rule: Any,
    hooks: Any,
    environ: Mapping[str, str] | None = None,
) -> Saved:
    """Write a new rule as `<root>/<name>.yml` (appended to a single rules file, which
    then refuses as read-only with the text to copy)."""
    env = os.environ if environ is None else environ
    rule, hooks = check_shape(rule, hooks)
    secrets = literal_secrets(rule, hooks)
    if secrets:
        raise RuleInvalid(secrets)
    name = rule["name"]
    existing = rulefiles.find_rule(root, name)
    if existing is not None:
        raise RuleFileConflict("name", f"a rule named {name!r} exists in {existing.file}")
    if root.is_dir():
        try:
            path = rulefiles.file_for_new_rule(root, name)
        except ValueError as exc:
            raise RuleInvalid([{"path": "name", "message": str(exc)}]) from None
        if path.exists():
            raise RuleFileConflict("name", f"{path} already exists (it holds other rules)")
        text = rulefiles.new_file_text(rule, hooks)
        index = 0
    else:
        path = root
        current = _read_or_empty(root)
        text = rulefiles.appended_text(current, rule, hooks)
        index = len(rulefiles.parse(text)["rules"]) - 1
    errors, warnings = check_change(root, {path: text}, path, index, env)
    if errors:
        raise RuleInvalid(errors)
    if not writable(root):
        raise RuleFileConflict("read_only", _read_only_message(root), text)
    rulefiles.write_atomic(path, text, expected=None)
    return Saved(name, str(path), rulefiles.version_of(text), warnings)


def read(root: Path, name: str) -> dict[str, Any]:
    """The rule as JSON with its file, version, the file's hooks, condition rows, YAML."""
    entry = _find(root, name)
    rule = rulefiles.rule_of(entry.text, entry.index)
    condition = rule.get("if")
    parsed = parse_expression(condition) if isinstance(condition, str) else None
    rows = [] if condition is None else parsed[0] if parsed else None
    return {
        "rule": rule,
        "file": str(entry.file),
        "version": entry.version,
        "hooks": rulefiles.hooks_of(entry.text),
        "conditions": rows,
        "conditions_any": bool(parsed and parsed[1]),
        "writable": writable(root),
        "yaml": rulefiles.rule_yaml(entry.text, entry.index),
    }


def update(
    root: Path,
    name: str,
    rule: Any,
    hooks: Any,
    version: Any,
    environ: Mapping[str, str] | None = None,
) -> Saved:
    """Rewrite the rule in its file (comments kept), if the file is still at `version`."""
    env = os.environ if environ is None else environ
    rule, checked_hooks = check_shape(rule, hooks)
    if not isinstance(version, str) or not version:
        raise RuleInvalid([{"path": "version", "message": "give the version read with GET"}])
    secrets = literal_secrets(rule, checked_hooks)
    if secrets:
        raise RuleInvalid(secrets)
    entry = _find(root, name)
    if entry.version != version:
        raise RuleFileConflict("version", _changed(entry.file), entry.text)
    new_name = rule["name"]
    if new_name != name and rulefiles.find_rule(root, new_name) is not None:
        raise RuleFileConflict("name", f"a rule named {new_name!r} exists already")
    text = rulefiles.replaced_text(entry.text, entry.index, rule, checked_hooks)
    errors, warnings = check_change(root, {entry.file: text}, entry.file, entry.index, env)
    if errors:
        raise RuleInvalid(errors)
    if not writable(root):
        raise RuleFileConflict("read_only", _read_only_message(root), text)
    rulefiles.write_atomic(entry.file, text, expected=version)
    return Saved(new_name, str(entry.file), rulefiles.version_of(text), warnings)


def delete(root: Path, name: str, version: str | None = None) -> Saved:
    """Remove the rule: its file when nothing else is in it, else its entry only."""
    entry = _find(root, name)
    if version is not None and entry.version != version:
        raise RuleFileConflict("version", _changed(entry.file), entry.text)
    text = rulefiles.removed_text(entry.text, entry.index)
    if not writable(root):
        raise RuleFileConflict("read_only", _read_only_message(root), text or "")
    if text is None:
        rulefiles.delete_file(entry.file, entry.version)
        return Saved(name, str(entry.file), "")
    rulefiles.write_atomic(entry.file, text, expected=entry.version)
    return Saved(name, str(entry.file), rulefiles.version_of(text))


def set_enabled(
    root: Path,
    name: str,
    enabled: bool,
    version: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Saved:
    """Write `enabled:` for the rule; switching on is checked (its variables must be set)."""
    env = os.environ if environ is None else environ
    entry = _find(root, name)
    if version is not None and entry.version != version:
        raise RuleFileConflict("version", _changed(entry.file), entry.text)
    text = rulefiles.enabled_text(entry.text, entry.index, enabled)
    errors, warnings = check_change(root, {entry.file: text}, entry.file, entry.index, env)
    if errors:
        raise RuleInvalid(errors)
    if not writable(root):
        raise RuleFileConflict("read_only", _read_only_message(root), text)
    rulefiles.write_atomic(entry.file, text, expected=entry.version)
    return Saved(name, str(entry.file), rulefiles.version_of(text), warnings)


def version_conflict(root: Path, name: str, submitted: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a 409 "version" answer carries: the rule as it is now and a diff of the YAML
    from what the caller sent to what is on disk."""
    entry = rulefiles.find_rule(root, name)
    if entry is None:
        return {"current": None, "diff": ""}
    current = rulefiles.rule_of(entry.text, entry.index)
    theirs = rulefiles.yaml_of(current).splitlines(keepends=True)
    mine = rulefiles.yaml_of(submitted).splitlines(keepends=True) if submitted else []
    diff = "".join(difflib.unified_diff(mine, theirs, fromfile="your edit", tofile="on disk now"))
    return {"current": {"rule": current, "version": entry.version}, "diff": diff}


def _find(root: Path, name: str) -> rulefiles.Entry:
    try:
        entry = rulefiles.find_rule(root, name)
    except YAMLError:
        entry = None
    if entry is None:
        raise RuleNotFound(f"no rule named {name!r} in {root}")
    return entry


def _read_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _changed(path: Path) -> str:
    return f"{path.name} changed since you read it: see the difference, then edit again"


def _read_only_message(root: Path) -> str:
    if not root.is_dir():
        return (
            f"the rules are a single file ({root}): the builder does not rewrite it;"
            " copy the YAML into it (or point BRIDGE_RULES at a directory)"
        )
    return f"the rules directory {root} is read-only here: copy or download the YAML instead"
