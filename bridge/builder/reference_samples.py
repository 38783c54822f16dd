"""Sample events made from the API reference's examples: the field picker's last resort.

When no event of a type was stored yet and Perfex cannot be asked, the builder still
shows the fields a person can use, with believable values.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from typing import Any

from bridge.builder._reference_records import RECORDS

logger = logging.getLogger("bridge.builder.reference_samples")

_KNOWLEDGE_BASE = {
    "articleid": "1",
    "articlegroup": "1",
    "subject": "How do I reset my password?",
    "description": "Open the login page and choose 'Forgot password'.",
    "slug": "how-do-i-reset-my-password",
    "active": "1",
    "datecreated": "2024-01-15 10:00:00",
    "staff_article": "0",
}

_GITHUB: dict[str, Any] = {
    "issues": {
        "action": "opened",
        "issue": {
            "number": 7,
            "title": "Export fails for large invoices",
            "html_url": "https://github.com/acme/shop/issues/7",
            "body": "Steps to reproduce: ...",
            "user": {"login": "octocat"},
        },
        "repository": {"full_name": "acme/shop"},
        "sender": {"login": "octocat"},
    },
    "issue_comment": {
        "action": "created",
        "issue": {"number": 7, "title": "Export fails for large invoices"},
        "comment": {"body": "Seen it too.", "user": {"login": "octocat"}},
        "repository": {"full_name": "acme/shop"},
    },
    "pull_request": {
        "action": "opened",
        "number": 8,
        "pull_request": {
            "title": "Fix export",
            "html_url": "https://github.com/acme/shop/pull/8",
            "user": {"login": "octocat"},
        },
        "repository": {"full_name": "acme/shop"},
    },
    "push": {
        "ref": "refs/heads/main",
        "commits": [{"id": "9f1c2d", "message": "Fix export"}],
        "repository": {"full_name": "acme/shop"},
        "pusher": {"name": "octocat"},
    },
    "release": {
        "action": "published",
        "release": {"tag_name": "v1.2.0", "html_url": "https://github.com/acme/shop/releases"},
        "repository": {"full_name": "acme/shop"},
    },
}


def reference_record(resource: str) -> dict[str, Any] | None:
    """The reference's example record of a resource (a fresh copy), or None."""
    if resource == "knowledge_base":
        return dict(_KNOWLEDGE_BASE)
    record = RECORDS.get(resource)
    return copy.deepcopy(record) if record is not None else None


def reference_event(event_type: str, *, verify: str | None = None) -> dict[str, Any]:
    """A believable event of `event_type` built from the reference's examples.

    `verify` is the scheme of the hook a `webhook.*` type belongs to (it picks the body's
    shape); the answer always has the shape of a stored event.
    """
    parts = event_type.split(".")
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    event: dict[str, Any] = {"id": f"sample:{event_type}", "type": event_type, "time": now}
    if parts[0] == "perfex" and len(parts) >= 3:
        record = reference_record(parts[1]) or {"id": "1"}
        event.update(source="perfex", data=record)
        if parts[2] == "updated":
            event["changes"] = _sample_changes(record)
    elif parts[0] == "webhook":
        sub = ".".join(parts[2:])
        event.update(
            source="webhook",
            data=_webhook_body(verify, sub),
            headers={"content-type": "application/json", "user-agent": "sender/1.0"},
        )
    elif parts[0] == "schedule":
        rule = ".".join(parts[1:]) or "my-rule"
        event.update(source="bridge", data={"scheduled_for": now, "rule": rule})  # as ticks are
    elif event_type == "bridge.run.dead_lettered":
        event.update(
            source="bridge",
            data={
                "run_id": "run:perfex:leads:42:created:new-lead-to-chat",
                "rule": "new-lead-to-chat",
                "event_id": "perfex:leads:42:created",
                "event_type": "perfex.leads.created",
                "error": "POST https://chat.example.com/hook: 503 Service Unavailable",
            },
        )
    elif event_type == "bridge.poller.stopped":
        event.update(
            source="bridge",
            data={"resource": "leads", "error": "Perfex refused the API token (401)"},
        )
    elif event_type == "bridge.poller.gap":
        event.update(source="bridge", data={"resource": "leads", "since": 1764756000, "limit": 50})
    else:
        event.update(source="bridge", data={})
    return event


def _sample_changes(record: dict[str, Any]) -> dict[str, list[Any]]:
    """One plausible change for an `updated` sample: its status, else its first field."""
    for name in ("status", "name", "subject", "description"):
        if name in record:
            return {name: ["1" if name == "status" else "(before)", record[name]]}
    return {}


def _webhook_body(verify: str | None, sub: str) -> Any:
    if verify == "github":
        return copy.deepcopy(_GITHUB.get(sub or "issues", _GITHUB["issues"]))
    if verify == "stripe":
        kind = sub or "invoice.paid"
        return {
            "id": "evt_1Example",
            "type": kind,
            "data": {
                "object": {
                    "id": "in_1Example",
                    "number": "ACME-0042",
                    "amount_paid": 4200,
                    "currency": "eur",
                    "customer_email": "ada@example.com",
                    "payment_intent": "pi_1Example",
                    "metadata": {"perfex_invoice_id": "12"},
                }
            },
        }
    if verify == "slack":
        return {
            "type": "event_callback",
            "event": {"type": "message", "text": "Hello", "user": "U123", "channel": "C123"},
        }
    if verify == "perfex":
        return {"event": "lead_created", "timestamp": 1764756000, "data": {"id": 42}}
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines Ltd",
        "message": "Please call me back.",
    }
