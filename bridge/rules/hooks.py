"""Building a `Hook` from YAML: the pydantic model plus the per-scheme checks.

Each verification scheme takes its own keys (design.md, "Rules (YAML)"): a key that does
not apply to the chosen scheme is an error, a missing secret is an error, and
`verify: none` loads with a warning because anyone who knows the URL can post events.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import ValidationError

from bridge.rules import templates
from bridge.rules.model import Hook
from bridge.rules.problems import Problems, key_line, node_line, report_validation
from bridge.rules.unsigned import unsigned_warning
from bridge.rules.values import Scope, compile_string, expand_env

logger = logging.getLogger("bridge.rules.hooks")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_COMMON = {"name", "verify", "event", "description"}
#: Keys each scheme takes besides the common ones, and which of those are required.
SCHEME_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "none": (set(), set()),
    "token": ({"secret"}, {"secret"}),
    "basic": ({"secret", "username"}, {"secret", "username"}),
    "hmac": ({"secret", "header", "algorithm", "encoding", "prefix"}, {"secret", "header"}),
    "github": ({"secret"}, {"secret"}),
    "stripe": ({"secret", "tolerance"}, {"secret"}),
    "slack": ({"secret", "tolerance"}, {"secret"}),
    "standard": ({"secret", "tolerance"}, {"secret"}),
    "perfex": ({"secret", "tolerance"}, {"secret"}),
}
_ENV_KEYS = ("secret", "username", "header", "prefix")
_HINTS = {"verify": " (say `verify: none` explicitly to accept unsigned requests)"}


def build_hook(raw: Any, file: str, line: int, problems: Problems, env: Any) -> Hook | None:
    """Validate and check one entry of `hooks:`; None when it has errors."""
    if not isinstance(raw, dict):
        problems.error(file, line, "hook: must be a mapping with at least name and verify")
        return None
    before = len(problems.errors)
    label = f"hook {raw.get('name')!r}" if isinstance(raw.get("name"), str) else "hook"
    scope = Scope(problems, env, file, names=templates.HOOK_NAMES)
    data = dict(raw)
    for key in _ENV_KEYS:
        if isinstance(data.get(key), str):
            data[key] = expand_env(str(data[key]), scope, key_line(raw, key))
    try:
        hook = Hook.model_validate(data)
    except ValidationError as exc:
        fields = list(Hook.model_fields)
        report_validation(problems, exc, raw, file, what=label, keys=fields, hints=_HINTS)
        hook = None
    name = raw.get("name")
    if isinstance(name, str) and not _NAME.match(name):
        problems.error(
            file,
            key_line(raw, "name"),
            f"{label}: name must be URL-safe: letters, digits, '_' and '-' (at most 64)",
        )
    _check_scheme(raw, file, problems, label)
    node: templates.Text | templates.Native | None = None
    if "event" in raw:
        compiled = _compile_event(raw["event"], scope, key_line(raw, "event"), label)
        node = compiled
    if hook is None or len(problems.errors) > before:
        return None
    hook._event_node = node
    hook._source = f"{file}:{node_line(raw, line)}"
    unsigned = unsigned_warning(label, hook.verify, str(raw.get("event", "")))
    if unsigned is not None:
        problems.warning(file, key_line(raw, "event"), unsigned)
    if hook.verify == "none":
        problems.warning(
            file,
            key_line(raw, "verify"),
            f"{label}: verify: none accepts events from anyone who knows the URL",
        )
    return hook


def _check_scheme(raw: dict[Any, Any], file: str, problems: Problems, label: str) -> None:
    scheme = raw.get("verify")
    if not isinstance(scheme, str) or scheme not in SCHEME_KEYS:
        return  # pydantic has reported it
    allowed, required = SCHEME_KEYS[scheme]
    for key in raw:
        if key in Hook.model_fields and key not in _COMMON and key not in allowed:
            takes = ", ".join(sorted(allowed)) or "no other keys"
            problems.error(
                file,
                key_line(raw, key),
                f"{label}: {key!r} does not apply to verify: {scheme} (it takes {takes})",
            )
    for key in sorted(required - set(raw)):
        problems.error(file, node_line(raw), f"{label}: verify: {scheme} needs {key!r}")


def _compile_event(
    value: Any, scope: Scope, line: int, label: str
) -> templates.Text | templates.Native | None:
    if not isinstance(value, str):
        scope.problems.error(scope.file, line, f"{label}: event: must be a template string")
        return None
    node = compile_string(str(value), scope, line, f"{label} event")
    if isinstance(node, templates.Text | templates.Native):
        return node
    if isinstance(node, templates.Const) and node.value is not None:
        # A fixed sub-type, e.g. `event: push`: compile it as the literal it is.
        return templates.compile_text(str(node.value), f"{scope.file}:{line}: {label} event")
    return None
