"""Rules files as the builder reads and writes them: ruamel round trip, versions, atomic writes.

    entry = find_rule(root, "lead-to-task")          # Entry(file, index, text, version) | None
    text = replaced_text(entry.text, entry.index, rule_json)   # comments and layout kept
    write_atomic(entry.file, text, expected=entry.version)     # RuleFileConflict if it changed

A version is the sha256 of the file's text: two people who read the same file hold the
same version, and whoever writes second gets a conflict instead of undoing the first.
Edits go through ruamel's round-trip model and only touch what changed, so a hand-written
file keeps its comments, key order, quoting and indentation. A write goes to a temporary
file beside the target (a dot name the loader ignores) and is renamed over it, so the hot
reload never reads half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from bridge.exceptions import RuleFileConflict
from bridge.rules.loader import rule_files

logger = logging.getLogger("bridge.builder.rulefiles")

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: A rule name that is also a safe file name (the builder's own files are `<name>.yml`).
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_write_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a rule lives: its file, its position in `rules:`, and the file as read."""

    file: Path
    index: int
    text: str

    @property
    def version(self) -> str:
        return version_of(self.text)


def version_of(text: str) -> str:
    """The version of a file: the sha256 of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    # The layout of the shipped examples: `rules:` then `  - name:` then `    on:`.
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def parse(text: str) -> Any:
    """The round-trip document of a rules file (YAMLError when it does not parse)."""
    return _yaml().load(text)


def dump(doc: Any) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    """A ruamel node as plain JSON-able Python (mappings, lists, str, int, float, bool)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, date):  # an unquoted `2026-01-01`: JSON has no dates
        return value.isoformat()
    return value


def writable(root: Path) -> bool:
    """Whether the builder may write rules files under `root`: a directory where a file can
    be created (tried for real: root, a ConfigMap or a read-only mount all say no)."""
    if not root.is_dir():
        return False
    try:
        fd, name = tempfile.mkstemp(dir=root, prefix=".bridge-probe-", suffix=".tmp")
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return True


def find_rule(root: Path, name: str) -> Entry | None:
    """The file and position of the rule called `name`, or None (files that do not parse
    are skipped: the loader reports them)."""
    try:
        files = rule_files(root)
    except FileNotFoundError:
        return None
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            doc = parse(text)
        except (OSError, UnicodeDecodeError, YAMLError):
            continue
        rules = doc.get("rules") if isinstance(doc, Mapping) else None
        for index, raw in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(raw, Mapping) and raw.get("name") == name:
                return Entry(path, index, text)
    return None


def file_for_new_rule(root: Path, name: str) -> Path:
    """`<root>/<name>.yml`; ValueError for a name that is not a plain file name."""
    if not _FILE_NAME.match(name) or name.startswith(".") or ".." in name:
        raise ValueError(
            "a new rule's name becomes its file name: use letters, digits, '-', '_' and '.'"
        )
    return root / f"{name}.yml"


def rule_of(text: str, index: int) -> dict[str, Any]:
    """The rule at `index` of a file as plain JSON."""
    rule: dict[str, Any] = plain(_entries(parse(text))[index])
    return rule


def hooks_of(text: str) -> list[dict[str, Any]]:
    """The hooks of a file as plain JSON (their `secret:` stays the `${VAR}` written there)."""
    doc = parse(text)
    hooks = doc.get("hooks") if isinstance(doc, Mapping) else None
    return [plain(h) for h in hooks] if isinstance(hooks, list) else []


def rule_yaml(text: str, index: int) -> str:
    """The YAML of one rule of a file, with its comments, ready to paste under `rules:`."""
    entry = _entries(parse(text))[index]
    return dump(CommentedMap([("rules", CommentedSeq([entry]))]))


def yaml_of(rule: Mapping[str, Any]) -> str:
    """The YAML of a rule given as JSON (for a diff against what the user sent)."""
    return dump(CommentedMap([("rules", CommentedSeq([_node(rule)]))]))


def new_file_text(rule: Mapping[str, Any], hooks: Sequence[Mapping[str, Any]] | None = None) -> str:
    """A new rules file holding one rule (and its hooks), with a header comment."""
    doc = CommentedMap()
    if hooks:
        doc["hooks"] = CommentedSeq([_node(h) for h in hooks])
    doc["rules"] = CommentedSeq([_node(rule)])
    body = dump(doc)
    names = sorted(set(_ENV_REF.findall(body)))
    header = [f"# {rule.get('name')}: made with the rule builder (the dashboard's Rules page)."]
    if isinstance(rule.get("description"), str) and rule["description"].strip():
        header.append("# " + " ".join(str(rule["description"]).split()))
    header.append("#")
    if names:
        header.append("# Environment variables this file needs: " + ", ".join(names))
    else:
        header.append("# Environment variables this file needs: none.")
    return "\n".join(header) + "\n\n" + body


def replaced_text(
    text: str, index: int, rule: Mapping[str, Any], hooks: Sequence[Mapping[str, Any]] | None = None
) -> str:
    """The file with the rule at `index` replaced by `rule` (and `hooks` updated by name),
    changing only what differs so comments and layout stay."""
    doc = parse(text)
    entries = _entries(doc)
    _merge_map(entries[index], rule)
    if hooks:
        existing = doc.get("hooks")
        if not isinstance(existing, list):
            existing = CommentedSeq()
            doc.insert(0, "hooks", existing)
        for hook in hooks:
            at = next(
                (
                    i
                    for i, h in enumerate(existing)
                    if isinstance(h, Mapping) and h.get("name") == hook.get("name")
                ),
                None,
            )
            if at is None:
                existing.append(_node(hook))
            else:
                _merge_map(existing[at], hook)
    return dump(doc)


def appended_text(
    text: str, rule: Mapping[str, Any], hooks: Sequence[Mapping[str, Any]] | None = None
) -> str:
    """A file (a single rules file, say) with one more rule (and hooks) at the end."""
    doc = parse(text) if text.strip() else None
    if not isinstance(doc, CommentedMap):
        doc = CommentedMap()
    if hooks:
        if not isinstance(doc.get("hooks"), list):
            doc.insert(0, "hooks", CommentedSeq())
        doc["hooks"].extend(_node(h) for h in hooks)
    if not isinstance(doc.get("rules"), list):
        doc["rules"] = CommentedSeq()
    doc["rules"].append(_node(rule))
    return dump(doc)


def removed_text(text: str, index: int) -> str | None:
    """The file without the rule at `index`; None when nothing else is left in it."""
    doc = parse(text)
    entries = _entries(doc)
    del entries[index]
    hooks = doc.get("hooks")
    if not entries and not hooks:
        return None
    return dump(doc)


def enabled_text(text: str, index: int, enabled: bool) -> str:
    """The file with `enabled:` of the rule at `index` set (placed after `on:` if new)."""
    doc = parse(text)
    entry = _entries(doc)[index]
    if "enabled" in entry:
        entry["enabled"] = enabled
    else:
        keys = list(entry)
        at = keys.index("on") + 1 if "on" in keys else len(keys)
        entry.insert(at, "enabled", enabled)
    return dump(doc)


def write_atomic(path: Path, text: str, expected: str | None) -> None:
    """Write `text` to `path` atomically, if the file is still as the caller read it.

    `expected` None: the file must not exist (a new rule); else the file's version must
    equal it. RuleFileConflict("name" | "version" | "read_only") otherwise.
    """
    with _locked(path.parent):
        current = _read(path)
        _check(path, current, expected)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise RuleFileConflict("read_only", f"{path.parent}: cannot write: {exc}") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            mode = path.stat().st_mode & 0o777 if current is not None else 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise RuleFileConflict("read_only", f"{path}: cannot write: {exc}") from exc
        _sync_dir(path.parent)


def delete_file(path: Path, expected: str) -> None:
    """Remove a rules file if it is still at version `expected` (RuleFileConflict if not)."""
    with _locked(path.parent):
        _check(path, _read(path), expected)
        try:
            path.unlink()
        except OSError as exc:
            raise RuleFileConflict("read_only", f"{path}: cannot delete: {exc}") from exc
        _sync_dir(path.parent)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One writer at a time per rules directory: a lock for this process's threads, and a
    `flock` on the directory for other processes (web replicas on one host or volume)."""
    with _write_lock:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            yield  # the write that follows fails and says why
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _check(path: Path, current: str | None, expected: str | None) -> None:
    if expected is None and current is not None:
        raise RuleFileConflict("name", f"{path.name} already exists", current)
    if expected is not None and (current is None or version_of(current) != expected):
        raise RuleFileConflict(
            "version", f"{path.name} changed since it was read; reload and try again", current
        )


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _entries(doc: Any) -> Any:
    rules = doc.get("rules") if isinstance(doc, Mapping) else None
    if not isinstance(rules, list):
        raise ValueError("the file has no rules: list")
    return rules


def _node(value: Any) -> Any:
    """JSON as ruamel nodes: block mappings and lists, multi-line strings as `|` blocks."""
    if isinstance(value, Mapping):
        return CommentedMap((str(k), _node(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_node(v) for v in value)
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return DoubleQuotedScalarString(value)
    return value


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON, with bool and int kept apart (`true` is not `1`)."""
    left, right = plain(old), new
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _merge_map(target: CommentedMap, new: Mapping[str, Any]) -> None:
    """Make `target` equal `new`, touching only keys whose value changed."""
    for key in [k for k in target if str(k) not in new]:
        del target[key]
    for position, (key, value) in enumerate(new.items()):
        if key not in target:
            target.insert(min(position, len(target)), key, _node(value))
            continue
        old = target[key]
        if isinstance(old, CommentedMap) and isinstance(value, Mapping):
            _merge_map(old, value)
        elif isinstance(old, CommentedSeq) and isinstance(value, list):
            _merge_seq(old, value)
        elif not _same(old, value):
            target[key] = _node(value)


def _merge_seq(target: CommentedSeq, new: list[Any]) -> None:
    for index, value in enumerate(new):
        if index >= len(target):
            target.append(_node(value))
            continue
        old = target[index]
        if isinstance(old, CommentedMap) and isinstance(value, Mapping):
            _merge_map(old, value)
        elif isinstance(old, CommentedSeq) and isinstance(value, list):
            _merge_seq(old, value)
        elif not _same(old, value):
            target[index] = _node(value)
    while len(target) > len(new):
        del target[len(target) - 1]
