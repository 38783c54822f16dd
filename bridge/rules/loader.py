"""Loading BRIDGE_RULES: a YAML file or a directory of *.yml/*.yaml, all problems at once.

    ruleset = load("rules/", environ=os.environ)   # RulesError(problems) on any error

Files are read in name order (rules keep that order); a directory is not searched
recursively, so `rules/samples/*.json` and other files beside the rules are ignored.
Hooks of every file are built first, so a rule's `on: webhook.<hook>` may name a hook of
another file. Every error is `file:line: message`; warnings (e.g. `verify: none`) are
returned in `Ruleset.warnings` and logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bridge import redaction
from bridge.exceptions import RulesError
from bridge.rules.checks import RuleContext, build_rule
from bridge.rules.hooks import build_hook
from bridge.rules.matching import known_types
from bridge.rules.model import Hook, Rule, Ruleset
from bridge.rules.problems import Problems, item_line, key_line, node_line, suggest

logger = logging.getLogger("bridge.rules.loader")

SUFFIXES = (".yml", ".yaml")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HOOK_ENV_KEYS = ("secret", "username", "header", "prefix")
_TOP_KEYS = ("hooks", "rules")


@dataclass(frozen=True, slots=True)
class Source:
    """One rules file as read: its display name and text."""

    name: str
    text: str


def rule_files(path: str | os.PathLike[str]) -> list[Path]:
    """The YAML files a rules path stands for (FileNotFoundError when it does not exist)."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in SUFFIXES and p.is_file())
    if root.is_file():
        return [root]
    raise FileNotFoundError(f"{path}: rules path does not exist")


def read_sources(path: str | os.PathLike[str]) -> list[Source]:
    """Read every rules file of a path (OSError when the path cannot be read)."""
    return [Source(str(p), p.read_text(encoding="utf-8")) for p in rule_files(path)]


def fingerprint(sources: list[Source]) -> str:
    """A hash of names and contents: equal fingerprints load equal rulesets."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.text.encode() + b"\0")
    return digest.hexdigest()


def load(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Ruleset:
    """Load and check every rules file of a path; RulesError lists every problem."""
    try:
        sources = read_sources(path)
    except FileNotFoundError as exc:
        raise RulesError([str(exc)]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([f"{path}: cannot read: {exc}"]) from exc
    return load_sources(sources, environ)


def load_sources(sources: list[Source], environ: Mapping[str, str] | None = None) -> Ruleset:
    """Load rules from texts already read (the watcher reads, hashes, then loads)."""
    env = _RecordingEnviron(os.environ if environ is None else environ)
    problems = Problems()
    docs = [(source.name, _parse(source, problems)) for source in sources]
    hooks: dict[str, Hook] = {}
    hook_sources: dict[str, str] = {}
    live = _enabled_patterns(docs)
    for file, doc in docs:
        for raw, line in _entries(doc, "hooks", file, problems):
            name = raw.get("name") if isinstance(raw, dict) else None
            if isinstance(name, str) and name in hook_sources:
                first = hook_sources[name]
                problems.error(
                    file, key_line(raw, "name"), f"duplicate hook name {name!r} (first at {first})"
                )
                continue
            if isinstance(name, str):
                hook_sources[name] = f"{file}:{line}"
                if _waits_for_env(raw, name, live, env, file, problems):
                    continue
            hook = build_hook(raw, file, line, problems, env)
            if hook is not None:
                hooks[hook.name] = hook
    named = list(hook_sources)
    ctx = RuleContext(
        problems=problems,
        environ=env,
        types=known_types(named),
        sub_typed=[n for n, h in hooks.items() if h.event is not None] + _unbuilt(docs, hooks),
    )
    rules: list[Rule] = []
    for file, doc in docs:
        for raw, line in _entries(doc, "rules", file, problems):
            rule = build_rule(raw, file, line, len(rules), ctx)
            if rule is not None:
                rules.append(rule)
    # `${VAR}` values and hook secrets are kept out of every log line, load errors included
    redaction.register_secrets(env.read_values())
    redaction.register_secrets(h.secret.get_secret_value() for h in hooks.values() if h.secret)
    warnings = problems.warning_lines()
    for warning in warnings:
        logger.warning("rules: %s", warning)
    if problems.errors:
        raise RulesError(problems.error_lines())
    files = [source.name for source in sources]
    return Ruleset(
        rules=rules, hooks=hooks, files=files, warnings=warnings, env_values=env.read_values()
    )


class _RecordingEnviron(Mapping[str, str]):
    """The environment, noting each value a `${VAR}` read: those are kept out of output."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        value = self._environ[name]
        self._read.add(value)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)

    def read_values(self) -> frozenset[str]:
        return frozenset(self._read)


def _enabled_patterns(docs: list[tuple[str, Any]]) -> list[str]:
    """The `on:` patterns of every rule not switched off with `enabled: false`."""
    out: list[str] = []
    for _, doc in docs:
        entries = doc.get("rules") if isinstance(doc, dict) else None
        for raw in entries if isinstance(entries, list) else []:
            if not isinstance(raw, dict) or raw.get("enabled") is False:
                continue
            on = raw.get("on")
            out.extend(p for p in (on if isinstance(on, list) else [on]) if isinstance(p, str))
    return out


def _waits_for_env(
    raw: dict[Any, Any],
    name: str,
    live: list[str],
    env: Mapping[str, str],
    file: str,
    problems: Problems,
) -> bool:
    """Whether a hook is left off, with a warning: it reads a `${VAR}` that is not set and no
    enabled rule listens to it (a fresh clone's examples ship so, and still load)."""
    own = f"webhook.{name}"
    if any(
        fnmatchcase(own, p) or fnmatchcase(own + ".x", p) or p.startswith(own + ".") for p in live
    ):
        return False
    unset = sorted(
        {
            var
            for key in _HOOK_ENV_KEYS
            if isinstance(raw.get(key), str)
            for var in _ENV_REF.findall(str(raw[key]))
            if var not in env
        }
    )
    if not unset:
        return False
    problems.warning(
        file,
        key_line(raw, "name"),
        f"hook {name!r} is off until {', '.join(unset)} is set (no enabled rule uses it)",
    )
    return True


def _unbuilt(docs: list[tuple[str, Any]], hooks: dict[str, Hook]) -> list[str]:
    """Names of hooks that failed to build but have an `event:`: their errors say enough."""
    out = []
    for _, doc in docs:
        entries = doc.get("hooks") if isinstance(doc, dict) else None
        for raw in entries if isinstance(entries, list) else []:
            if isinstance(raw, dict) and "event" in raw and raw.get("name") not in hooks:
                out.append(str(raw.get("name")))
    return out


def _parse(source: Source, problems: Problems) -> Any:
    """The YAML document of a file, or None (with a problem) when it does not parse."""
    yaml = YAML(typ="rt")
    try:
        doc = yaml.load(source.text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if type(exc).__name__ == "DuplicateKeyError":
            what = f"duplicate key: {what}"
        problems.error(source.name, line, f"YAML does not parse: {what}")
        return None
    if doc is None:
        return None
    if not isinstance(doc, dict):
        problems.error(source.name, node_line(doc), "must be a mapping with hooks: and rules:")
        return None
    for key in doc:
        if key not in _TOP_KEYS:
            problems.error(
                source.name,
                key_line(doc, key),
                f"unknown top-level key {key!r}{suggest(str(key), _TOP_KEYS)}"
                " (a rules file has hooks: and rules:)",
            )
    return doc


def _entries(doc: Any, key: str, file: str, problems: Problems) -> list[tuple[Any, int]]:
    """The items of `hooks:` or `rules:` with their lines."""
    if not isinstance(doc, dict) or doc.get(key) is None:
        return []
    items = doc[key]
    if not isinstance(items, list):
        problems.error(file, key_line(doc, key), f"{key}: must be a list")
        return []
    return [(item, item_line(items, i)) for i, item in enumerate(items)]
