"""The builder's test button: one rule, not saved, dry-run against an event; nothing is sent.

    result = try_rule(root, rule, hooks, event, environ=os.environ, perfex_url=...)
    result["matched"]                # whether `on:` and `if:` let the event through
    result["steps"][0]["request"]    # {"method", "url", "headers", "body"} as it would be sent

The rule is checked and compiled by the rules engine exactly as `bridge rules test` does it
(`bridge.rules.dryrun`), together with the rules on disk (so it may name their hooks); it
is loaded as if switched off, so a `${VAR}` not set yet is a warning, and tried as if on.
Each step is rendered to the request it would make: method, URL, headers and body, with
secrets masked (the Perfex token, signatures, secret-named fields, values from `${VAR}`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bridge import redaction
from bridge.builder import rulefiles
from bridge.builder.validate import check_change, load_after
from bridge.events import Event
from bridge.exceptions import RuleInvalid, TemplateError
from bridge.executor.webhook import encode_body
from bridge.perfex.forms import encode_form
from bridge.rules.checks import find_operation
from bridge.rules.dryrun import PLACEHOLDER_NOTE, dry_run_rule
from bridge.rules.matching import RuleIndex
from bridge.rules.templates import evaluate_condition, make_context

logger = logging.getLogger("bridge.builder.trial")

_FORM = "application/x-www-form-urlencoded"


def try_rule(
    root: Path,
    rule: dict[str, Any],
    hooks: list[dict[str, Any]],
    event: Event | Mapping[str, Any],
    *,
    environ: Mapping[str, str],
    perfex_url: str | None = None,
) -> dict[str, Any]:
    """The dry run of one unsaved rule for one event (RuleInvalid when it does not load)."""
    name = rule["name"]
    as_loaded = {**rule, "enabled": False}
    entry = rulefiles.find_rule(root, name)
    if entry is not None:
        target, index = entry.file, entry.index
        text = rulefiles.replaced_text(entry.text, entry.index, as_loaded, hooks)
    else:
        base = root if root.is_dir() else root.parent
        target, index = base / ".builder-test.yml", 0
        text = rulefiles.new_file_text(as_loaded, hooks)
    errors, warnings = check_change(root, {target: text}, target, index, environ)
    if errors:
        raise RuleInvalid(errors)
    ruleset, _ = load_after(root, {target: text}, environ)
    compiled = ruleset.rule(name) if ruleset is not None else None
    if ruleset is None or compiled is None:  # check_change said it loads; belt and braces
        raise RuleInvalid([{"path": "", "message": "the rule did not load"}])
    compiled = dataclasses.replace(compiled, enabled=True)
    context = make_context(event)
    event_type = context["event"]["type"]
    matched, reason = True, None
    if not RuleIndex([compiled]).lookup(event_type):
        matched, reason = False, f"on: does not match the event type {event_type!r}"
    else:
        try:
            if not evaluate_condition(compiled.condition, context):
                matched, reason = False, "if: was false for this event"
        except TemplateError as exc:
            matched, reason = False, f"if: failed: {exc}"
    steps = dry_run_rule(compiled, context, ruleset.env_values)
    _add_requests(steps, perfex_url)
    result: dict[str, Any] = {
        "rule": name,
        "matched": matched,
        "reason": reason,
        "event": context["event"],
        "steps": steps,
        "warnings": warnings,
        "sent": False,
    }
    if rule.get("enabled") is False:
        result["notes"] = ["the rule is saved switched off: tried here as if it were on"]
    if any(step.id is not None for step in compiled.steps):
        result.setdefault("notes", []).append(PLACEHOLDER_NOTE)
    return result


def _add_requests(steps: list[dict[str, Any]], perfex_url: str | None) -> None:
    """Each rendered step (and a for_each's first item's steps) gets its request."""
    for step in steps:
        if "params" in step:
            step.update(render_request(step["action"], step["params"], perfex_url))
        first = step.get("first_item")
        if isinstance(first, dict):
            _add_requests(first["steps"], perfex_url)


def render_request(
    action: str, params: Mapping[str, Any], perfex_url: str | None
) -> dict[str, Any]:
    """`method`, `path` and `request` of a step whose params are rendered (and masked)."""
    if action == "webhook":
        return _webhook_request(params)
    operation = find_operation(action)
    if operation is None:
        return {}
    rest = {k: v for k, v in params.items() if k not in operation.path_params}
    path = operation.path.format(
        **{n: quote(str(params.get(n, "")), safe="") for n in operation.path_params}
    )
    base = (perfex_url or "<BRIDGE_PERFEX_URL>").rstrip("/")
    url = base + path
    headers = {"authtoken": redaction.REDACTED}
    body: str | None = None
    if operation.body == "form":
        headers["content-type"] = _FORM
        body = urlencode(encode_form(rest))
    elif operation.body == "json":
        headers["content-type"] = "application/json"
        body = json.dumps(rest, default=str)
    elif operation.body == "query" and rest:
        url += "?" + urlencode(encode_form(rest))
    request = {"method": operation.method, "url": url, "headers": headers, "body": body}
    return {"method": operation.method, "path": path, "request": request}


def _webhook_request(params: Mapping[str, Any]) -> dict[str, Any]:
    method = str(params.get("method") or "POST")
    content, content_type = encode_body(params.get("body"))
    headers = {str(k).lower(): str(v) for k, v in (params.get("headers") or {}).items()}
    headers.setdefault("content-type", content_type)
    headers["webhook-id"] = "<a new id per delivery, the same on every retry>"
    if params.get("secret"):
        headers["webhook-timestamp"] = "<the time of sending>"
        headers["webhook-signature"] = redaction.REDACTED
    url = str(params.get("url", ""))
    body = content.decode("utf-8", "replace") if method != "GET" else None
    request = {"method": method, "url": url, "headers": headers, "body": body}
    return {"method": method, "path": url, "request": request}
