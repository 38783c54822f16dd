"""Rules, hooks and poller status as JSON-able mappings, with every secret left out.

A hook shows its verification scheme and whether a secret is set, never the secret; a
step shows its action and field names, never the values (they may hold `${VAR}` secrets
substituted at load time).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from starlette.responses import JSONResponse

from bridge.payloads import scrub
from bridge.rules.model import Hook, Rule, Ruleset, Step

logger = logging.getLogger("bridge.admin.serializers")

_VERIFY_WORDS = {
    "none": "not verified: anyone who knows the URL can send events",
    "token": "bearer token (Authorization header or ?token=)",
    "basic": "HTTP basic authentication",
    "hmac": "HMAC signature of the body",
    "github": "GitHub signature (X-Hub-Signature-256)",
    "stripe": "Stripe signature (Stripe-Signature)",
    "slack": "Slack signature (X-Slack-Signature)",
    "standard": "Standard Webhooks signature",
    "perfex": "Perfex API module signature (X-Perfex-Signature)",
}


def hook_to_dict(hook: Hook, base_url: str) -> dict[str, Any]:
    """A hook as shown to admins: its inbound URL and how senders are verified."""
    return {
        "name": hook.name,
        "url": base_url.rstrip("/") + "/hooks/" + hook.name,
        "verify": hook.verify,
        "verify_text": _VERIFY_WORDS.get(hook.verify, hook.verify),
        "has_secret": hook.secret is not None,
        "header": hook.header,
        "event_type": hook.event_type_prefix + (".<sub-type>" if hook.event else ""),
        "description": hook.description,
        "source": hook.source,
    }


def step_to_dict(step: Step) -> dict[str, Any]:
    """A step: its action in words and the names of the fields it sends."""
    fields = [key for key, _ in getattr(step.params, "items", ())]
    if step.operation is not None:
        text = f"{step.operation.summary} ({step.operation.method} {step.operation.path})"
    elif step.action == "webhook":
        text = "Send an outbound webhook"
    else:
        text = step.action
    return {
        "key": step.key,
        "id": step.id,
        "index": step.index,
        "action": step.action,
        "action_text": text,
        "fields": fields,
        "has_condition": step.condition is not None,
        "retry_attempts": step.retry.attempts if step.retry else None,
        "source": step.source,
    }


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """A rule: which events it reacts to, its condition and its steps in order."""
    return {
        "name": rule.name,
        "on": list(rule.on),
        "if": rule.condition_source,
        "description": rule.description,
        "enabled": rule.enabled,
        "source": rule.source,
        "steps": [step_to_dict(step) for step in rule.steps],
    }


def ruleset_to_dict(
    ruleset: Ruleset | None, errors: Iterable[Any], base_url: str
) -> dict[str, Any]:
    """Everything loaded, with the load errors and warnings a person should act on."""
    rules = ruleset.rules if ruleset is not None else []
    hooks = ruleset.hooks.values() if ruleset is not None else []
    return {
        "loaded": ruleset is not None,
        "files": list(ruleset.files) if ruleset is not None else [],
        "rules": [rule_to_dict(rule) for rule in rules],
        "hooks": [hook_to_dict(hook, base_url) for hook in hooks],
        "errors": [str(error) for error in errors],
        "warnings": list(ruleset.warnings) if ruleset is not None else [],
    }


def poller_to_dict(resource: str, fields: dict[str, str]) -> dict[str, Any]:
    """One poller's status hash with numbers as numbers."""
    out: dict[str, Any] = {"resource": resource}
    for key, value in fields.items():
        if key in {"last_poll", "last_success", "lag_seconds"}:
            out[key] = _number(value)
        elif key == "events_fired":
            number = _number(value)
            out[key] = int(number) if number is not None else None
        else:
            out[key] = value
    out.setdefault("state", "unknown")
    out.setdefault("last_error", "")
    return out


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


class SafeJSONResponse(JSONResponse):
    """A JSON answer that any stored data can be put in: stored events and receivers'
    answers may hold lone surrogates, infinite numbers or deep nesting (see
    `bridge.payloads`); those are scrubbed (U+FFFD, the number's text, a marker) instead
    of failing the request with a 500. Clean content renders exactly as JSONResponse."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (UnicodeEncodeError, ValueError, RecursionError):
            logger.info("answering with scrubbed data (lone surrogate, inf or deep nesting)")
            return super().render(scrub(content))
