"""The zapier endpoints, with the real controller's quirks (see the project's poll notes).

- the filter is on the creation column only, `>= since` at one-second resolution, in the
  server's local time (the sandbox clock's timezone, UTC unless set); invoices compare
  the date part only;
- newest first, cut at `limit` (default 50); `since` defaults to now - 24 h;
- customers need active = 1, leads junk = 0, tasks and tickets status != 5;
- `meta.next_poll` is the sandbox clock's time() at the end of the request;
- an unknown resource gives 200 with empty data, an empty one 400, an unknown method 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.sandbox.answers import sandbox_of
from bridge.sandbox.clock import local_date, local_datetime, parse_local
from bridge.sandbox.records import view
from bridge.sandbox.resources import RESOURCES
from bridge.sandbox.store import Record

logger = logging.getLogger("bridge.sandbox.poll")

#: resource -> (creation column, compare the date only, row filter)
POLLED: dict[str, tuple[str, bool, Callable[[Record], bool]]] = {
    "customers": ("datecreated", False, lambda r: r.get("active") == "1"),
    "leads": ("dateadded", False, lambda r: r.get("junk") == "0"),
    "tasks": ("dateadded", False, lambda r: r.get("status") != "5"),
    "tickets": ("date", False, lambda r: r.get("status") != "5"),
    "invoices": ("date", True, lambda r: True),
}

RESOURCE_LIST = [
    {"key": "customers", "label": "Customers", "description": "New or updated customers"},
    {"key": "invoices", "label": "Invoices", "description": "New or updated invoices"},
    {"key": "leads", "label": "Leads", "description": "New or updated leads"},
    {"key": "tasks", "label": "Tasks", "description": "New or updated tasks"},
    {"key": "tickets", "label": "Tickets", "description": "New or updated support tickets"},
]

#: What zapier/test answers when no record of the last 30 days exists.
SAMPLES: dict[str, dict[str, Any]] = {
    "customers": {
        "id": 1,
        "company": "Sample Company",
        "email": "sample@example.com",
        "phone": "+1234567890",
    },
    "invoices": {
        "id": 1,
        "number": "INV-000001",
        "total": "100.00",
        "status": "1",
        "date": "2024-01-15",
    },
    "leads": {
        "id": 1,
        "name": "Sample Lead",
        "email": "lead@example.com",
        "company": "Sample Company",
    },
    "tasks": {"id": 1, "name": "Sample Task", "status": "1", "priority": "2"},
    "tickets": {"id": 1, "subject": "Sample Ticket", "status": "1", "priority": "2"},
}

_LEADING_INT = re.compile(r"^\s*[+-]?\d+")


def php_intval(value: str | None) -> int:
    """PHP's (int) cast of a query string value: leading digits, else 0."""
    if value is None:
        return 0
    match = _LEADING_INT.match(value)
    return int(match.group()) if match else 0


def _missing_resource() -> JSONResponse:
    return JSONResponse({"status": False, "message": "Resource parameter required"}, 400)


def _shown(request: Request, resource: str, record: Record) -> Record:
    shown = view(RESOURCES[resource], record, sandbox_of(request).store)
    if resource == "customers":
        shown = {"id": record["userid"], **shown}
    return shown


def poll_rows(request: Request, resource: str, since: int, limit: int) -> list[Record]:
    """The rows a poll returns, newest first."""
    if resource not in POLLED or limit <= 0:
        return []
    column, date_only, keep = POLLED[resource]
    tz = sandbox_of(request).clock.tz
    bound = local_date(since, tz) if date_only else local_datetime(since, tz)
    store = sandbox_of(request).store
    rows = [
        r
        for r in store.all(resource)
        if keep(r) and isinstance(r.get(column), str) and r[column][: len(bound)] >= bound
    ]
    rows.sort(key=lambda r: (r[column], int(r["id" if "id" in r else "userid"])), reverse=True)
    return [_shown(request, resource, r) for r in rows[:limit]]


async def poll(request: Request, resource: str) -> Response:
    """GET /api/zapier/poll/{resource}."""
    clock = sandbox_of(request).clock
    since = php_intval(request.query_params.get("since")) or clock.time() - 86400
    limit = php_intval(request.query_params.get("limit")) or 50
    rows = poll_rows(request, resource, since, limit)
    meta = {"since": since, "count": len(rows), "next_poll": clock.time()}
    return JSONResponse({"status": True, "data": rows, "meta": meta})


async def test(request: Request, resource: str) -> Response:
    """GET /api/zapier/test/{resource}: a real record of the last 30 days, or a sample."""
    if resource not in POLLED:
        return JSONResponse({"status": True, "data": {}})
    sandbox = sandbox_of(request)
    column = POLLED[resource][0]
    cutoff = sandbox.clock.now() - 30 * 86400
    recent = [
        r
        for r in sandbox.store.all(resource)
        if (parse_local(str(r.get(column)), sandbox.clock.tz) or 0) >= cutoff
    ]
    if not recent:
        return JSONResponse({"status": True, "data": SAMPLES[resource]})
    recent.sort(key=lambda r: str(r.get(column)), reverse=True)
    return JSONResponse({"status": True, "data": _shown(request, resource, recent[0])})


async def zapier(request: Request) -> Response:
    """GET /api/zapier/{method}[/{resource}]: the controller's router."""
    method = request.path_params["method"]
    resource = request.path_params.get("resource", "").strip("/")
    if method == "resources":
        return JSONResponse({"status": True, "data": RESOURCE_LIST})
    if method not in ("poll", "test"):
        return JSONResponse({"error": f"Method not found: {method}_get"}, 404)
    if not resource:
        return _missing_resource()
    return await (poll if method == "poll" else test)(request, resource)


def zapier_routes() -> list[BaseRoute]:
    """The zapier routes: resources, poll, test, and the {method} router."""
    return [
        Route("/zapier/{method}", zapier, methods=["GET"]),
        Route("/zapier/{method}/{resource:path}", zapier, methods=["GET"]),
    ]
