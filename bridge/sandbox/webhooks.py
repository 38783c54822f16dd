"""The v3 module's webhooks: the management API under /api/webhooks and signed deliveries.

    GET    /api/webhooks               every webhook (secrets never shown: `has_secret`)
    POST   /api/webhooks               form: name, url, events[], secret, headers (JSON),
                                       timeout, retry_count -> {"status": true, "id": N}
    GET|PUT|DELETE /api/webhooks/{id}
    POST   /api/webhooks/{id}/toggle   active on/off
    GET    /api/webhooks/events        the event catalogue, by group
    GET    /api/webhooks/{id}/logs     the last 500 delivery attempts

Deliveries follow the module's immediate mode: when a record of a resource changes (API,
control API, anything that writes the store) every active webhook whose `events` match
gets `POST {"event", "timestamp", "data": {"id": N, "_source_hook": ...}}` signed with
`X-Perfex-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, retried up to
`retry_count` times. Two choices differ from a real install, both for testing: loopback
and private targets are allowed (the module refuses them), and the timestamp is the real
clock, not the sandbox clock (a receiver checks a signature's age against its own clock).
Webhooks live in memory only.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.sandbox.answers import fail, sandbox_of
from bridge.sandbox.module import CI_404
from bridge.sandbox.phpform import read_fields

logger = logging.getLogger("bridge.sandbox.webhooks")

#: Store table -> the module's event prefix.
THINGS: dict[str, str] = {
    "customers": "customer",
    "contacts": "contact",
    "leads": "lead",
    "invoices": "invoice",
    "estimates": "estimate",
    "proposals": "proposal",
    "credit_notes": "credit_note",
    "payments": "payment",
    "projects": "project",
    "tasks": "task",
    "tickets": "ticket",
    "contracts": "contract",
    "expenses": "expense",
    "items": "item",
    "staffs": "staff",
    "milestones": "milestone",
    "subscriptions": "subscription",
    "timesheets": "timesheet",
    "calendar": "calendar_event",
}
_CRUD = ("created", "updated", "deleted")
_EXTRA: dict[str, tuple[str, ...]] = {
    "customer": ("status_changed",),
    "lead": ("assigned", "converted", "status_changed", "marked_lost", "note_added"),
    "invoice": ("sent", "paid", "partially_paid", "overdue", "status_changed", "cancelled"),
    "estimate": ("sent", "accepted", "declined", "expired", "converted_to_invoice"),
    "proposal": ("sent", "accepted", "declined", "expired"),
    "credit_note": ("applied", "refunded"),
    "project": ("status_changed", "completed", "member_added", "member_removed"),
    "task": (
        "assigned",
        "status_changed",
        "completed",
        "comment_added",
        "timer_started",
        "timer_stopped",
    ),
    "ticket": ("reply_created", "status_changed", "assigned", "closed", "reopened"),
    "contract": ("signed", "renewed", "expired", "comment_added"),
    "subscription": ("cancelled", "renewed"),
}
#: The event catalogue by group (a subset of the module's 124 names, the same scheme).
CATALOGUE: dict[str, list[str]] = {
    thing: [f"{thing}_{what}" for what in (*_CRUD, *_EXTRA.get(thing, ()))]
    for thing in THINGS.values()
}
CATALOGUE["kb_article"] = [f"kb_article_{w}" for w in _CRUD]
ALL_EVENTS = frozenset(name for names in CATALOGUE.values() for name in names)
LOG_SIZE = 500
USER_AGENT = "Perfex-CRM-API/3.0"
_HOOK_NAMES = {
    "created": "after_{}_added",
    "updated": "after_{}_updated",
    "deleted": "before_{}_deleted",
}


@dataclass
class Webhook:
    id: int
    name: str
    url: str
    events: list[str]
    secret: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    retry_count: int = 3
    active: bool = True
    created_at: float = field(default_factory=time.time)
    logs: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))

    def public(self) -> dict[str, Any]:
        """As the API shows it: never the secret."""
        return {
            "id": str(self.id),
            "name": self.name,
            "url": self.url,
            "events": list(self.events),
            "headers": dict(self.headers),
            "timeout": str(int(self.timeout)),
            "retry_count": str(self.retry_count),
            "active": "1" if self.active else "0",
            "has_secret": bool(self.secret),
        }

    def wants(self, event: str) -> bool:
        for pattern in self.events:
            if pattern == "*" or pattern == event:
                return True
            if pattern.endswith((".*", "_*")) and fnmatch.fnmatchcase(event, pattern[:-2] + "_*"):
                return True
        return False


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Perfex-Signature value of one delivery."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass
class WebhookHub:
    """The webhooks of one sandbox and the deliveries in flight."""

    hooks: dict[int, Webhook] = field(default_factory=dict)
    next_id: int = 1
    #: Seconds between delivery retries (the module backs off in minutes; tests cannot).
    retry_delay: float = 0.5
    enabled: bool = True
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def on_change(self, table: str, rid: int, kind: str, record: dict[str, Any] | None) -> None:
        """A store write: queue the matching deliveries (immediate mode)."""
        if not self.enabled or not self.hooks:
            return
        if table == "ticket_replies" and kind == "created" and record is not None:
            event, data = (
                "ticket_reply_created",
                {
                    "id": int(str(record.get("ticketid") or 0)),
                    "reply_id": rid,
                    "_source_hook": "ticket_reply_added",
                },
            )
        elif table in THINGS:
            thing = THINGS[table]
            event = f"{thing}_{kind}"
            data = {"id": rid, "_source_hook": _HOOK_NAMES[kind].format(thing)}
        else:
            return
        self.fire(event, data)

    def fire(self, event: str, data: dict[str, Any]) -> None:
        """Deliver `event` to every active webhook that wants it, in the background."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for hook in list(self.hooks.values()):
            if hook.active and hook.wants(event):
                task = loop.create_task(self._deliver(hook, event, data))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, hook: Webhook, event: str, data: dict[str, Any]) -> None:
        stamp = int(time.time())
        payload: dict[str, Any] = {"event": event, "timestamp": stamp, "data": data}
        if hook.secret:
            legacy = json.dumps(payload, separators=(",", ":")).encode()
            payload["signature"] = hmac.new(hook.secret.encode(), legacy, "sha256").hexdigest()
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            **hook.headers,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "x-perfex-event": event,
        }
        if hook.secret:
            headers["x-perfex-signature"] = sign(hook.secret, stamp, body)
        async with httpx.AsyncClient(timeout=hook.timeout, follow_redirects=False) as http:
            for attempt in range(1, hook.retry_count + 2):
                started = time.perf_counter()
                try:
                    response = await http.post(hook.url, content=body, headers=headers)
                    status, error = response.status_code, ""
                except httpx.HTTPError as exc:
                    status, error = 0, type(exc).__name__
                hook.logs.append(
                    {
                        "event": event,
                        "attempt": attempt,
                        "status": status,
                        "error": error,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "time": time.time(),
                    }
                )
                if 200 <= status < 300:
                    return
                if attempt <= hook.retry_count:
                    await asyncio.sleep(self.retry_delay * attempt)
        logger.info("webhook %s: %s not delivered to %s", hook.id, event, hook.url)


def _hub(request: Request) -> WebhookHub | Response:
    sandbox = sandbox_of(request)
    if not sandbox.module.has_webhooks:
        return HTMLResponse(CI_404, 404)
    return sandbox.webhooks


def _hook(request: Request) -> tuple[WebhookHub, Webhook] | Response:
    """The hub and the webhook named by the path's id, or the module's answer refusing it."""
    hub = _hub(request)
    if isinstance(hub, Response):
        return hub
    hook = hub.hooks.get(request.path_params["id"])
    if hook is None:
        return fail("Webhook not found")
    return hub, hook


def _events(value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else None
    if items is None:
        return None
    names = [str(v).strip() for v in items if str(v).strip()]
    for name in names:
        if name != "*" and name not in ALL_EVENTS and not name.endswith((".*", "_*")):
            return None
    return names


def _apply(hook: Webhook, fields: dict[str, Any]) -> str | None:
    """Copy posted fields onto a webhook; an error message or None."""
    if "name" in fields:
        hook.name = str(fields["name"])[:191]
    if "url" in fields:
        url = str(fields["url"])
        if not url.startswith(("http://", "https://")):
            return "The URL field must contain a valid URL."
        hook.url = url
    if "events" in fields:
        events = _events(fields["events"])
        if not events:
            return "Unknown or missing events."
        hook.events = events
    if "secret" in fields:
        hook.secret = str(fields["secret"])
    if "headers" in fields and fields["headers"] not in ("", None):
        try:
            parsed = json.loads(str(fields["headers"]))
        except ValueError:
            return "headers must be a JSON object"
        if not isinstance(parsed, dict):
            return "headers must be a JSON object"
        hook.headers = {str(k): str(v) for k, v in parsed.items()}
    try:
        if "timeout" in fields:
            hook.timeout = min(60.0, max(1.0, float(fields["timeout"])))
        if "retry_count" in fields:
            hook.retry_count = min(10, max(0, int(fields["retry_count"])))
    except ValueError:
        return "timeout and retry_count must be numbers"
    return None


async def collection(request: Request) -> Response:
    """GET list / POST create."""
    hub = _hub(request)
    if isinstance(hub, Response):
        return hub
    if request.method == "GET":
        return JSONResponse({"status": True, "data": [h.public() for h in hub.hooks.values()]})
    fields = await read_fields(request)
    for name, label in (("name", "Name"), ("url", "URL"), ("events", "Events")):
        if not fields.get(name):
            return JSONResponse(
                {
                    "status": False,
                    "error": {name: f"The {label} field is required."},
                    "message": f"The {label} field is required.",
                },
                400,
            )
    hook = Webhook(id=hub.next_id, name="", url="", events=[])
    problem = _apply(hook, fields)
    if problem is not None:
        return JSONResponse({"status": False, "message": problem}, 400)
    hub.next_id += 1
    hub.hooks[hook.id] = hook
    return JSONResponse({"status": True, "id": hook.id, "message": "Webhook created"})


async def one(request: Request) -> Response:
    """GET / PUT / DELETE one webhook."""
    found = _hook(request)
    if isinstance(found, Response):
        return found
    hub, hook = found
    if request.method == "DELETE":
        del hub.hooks[hook.id]
        return JSONResponse({"status": True, "message": "Webhook deleted"})
    if request.method == "PUT":
        problem = _apply(hook, await read_fields(request))
        if problem is not None:
            return JSONResponse({"status": False, "message": problem}, 400)
        return JSONResponse({"status": True, "message": "Webhook updated"})
    return JSONResponse({"status": True, "data": hook.public()})


async def toggle(request: Request) -> Response:
    """POST /api/webhooks/{id}/toggle."""
    found = _hook(request)
    if isinstance(found, Response):
        return found
    _, hook = found
    hook.active = not hook.active
    return JSONResponse({"status": True, "active": hook.active})


async def events(request: Request) -> Response:
    """GET /api/webhooks/events: the catalogue."""
    hub = _hub(request)
    if isinstance(hub, Response):
        return hub
    return JSONResponse({"status": True, "data": CATALOGUE})


async def logs(request: Request) -> Response:
    """GET /api/webhooks/{id}/logs: the last attempts, newest first."""
    found = _hook(request)
    if isinstance(found, Response):
        return found
    _, hook = found
    return JSONResponse({"status": True, "data": list(reversed(hook.logs))})


def webhook_routes() -> list[BaseRoute]:
    """The management API's routes (before the generic resource routes)."""
    return [
        Route("/webhooks/events", events, methods=["GET"]),
        Route("/webhooks", collection, methods=["GET", "POST"]),
        Route("/webhooks/{id:int}", one, methods=["GET", "PUT", "DELETE"]),
        Route("/webhooks/{id:int}/toggle", toggle, methods=["POST"]),
        Route("/webhooks/{id:int}/logs", logs, methods=["GET"]),
    ]
