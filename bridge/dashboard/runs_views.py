"""Dashboard pages over the executor: runs, run detail, dead letters and replays."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.admin import runs_query
from bridge.admin.history_api import parse_offset
from bridge.admin.paging import parse_limit
from bridge.admin.responses import NotFound
from bridge.admin.state import events_of, redis_of, rules_watcher_of, run_store_of
from bridge.dashboard import dlq_views
from bridge.dashboard.guard import Endpoint, View, is_fragment, message_page
from bridge.dashboard.render import SECURITY_HEADERS, page
from bridge.exceptions import RunNotCancellable
from bridge.executor import cancel, fanout

logger = logging.getLogger("bridge.dashboard.runs_views")

#: The "since" choices of the runs filter, in seconds.
WINDOWS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400}


async def runs_of_event(request: Request, event_id: str) -> list[dict[str, Any]]:
    """The runs an event caused, newest first."""
    return await runs_query.runs_of_event(redis_of(request), event_id)


async def runs_page(request: Request, session: dict[str, Any]) -> Response:
    """Runs newest first, filtered by status, rule, event type and time window."""
    query = request.query_params
    filters = {k: query.get(k, "") for k in ("status", "rule", "event_type", "window")}
    window = WINDOWS.get(filters["window"])
    runs, cursor, total = await runs_query.query_runs(
        redis_of(request),
        status=filters["status"] or None,
        rule=filters["rule"] or None,
        event_type=filters["event_type"] or None,
        since=time.time() - window if window else None,
        limit=parse_limit(query.get("limit")),
        cursor=parse_offset(query.get("cursor")),
    )
    watcher = rules_watcher_of(request)
    rule_names = [rule.name for rule in watcher.current.rules] if watcher else []
    next_url = None
    if cursor is not None:
        next_url = "/runs?" + urlencode({**filters, "cursor": cursor})
    context = {
        "session": session,
        "nav": "runs",
        "runs": runs,
        "total": total,
        "filters": filters,
        "statuses": runs_query.STATUSES,
        "rule_names": rule_names,
        "next_url": next_url,
        "first_page": not query.get("cursor"),
    }
    return page(request, "_runs_table.html" if is_fragment(request) else "runs.html", context)


async def run_page(request: Request, session: dict[str, Any]) -> Response:
    """One run: its event, each step with every attempt's request, status and response."""
    run_id = request.path_params["run_id"]
    run = await runs_query.get_run(redis_of(request), run_id)
    if run is None:
        raise NotFound(f"No run with id {run_id!r}: unknown, or older than the retention.")
    event = await events_of(request).get(str(run.get("event_id")))
    children = await fanout.children(redis_of(request), run_id)
    attempts: dict[int, list[dict[str, Any]]] = {}
    for attempt in run.get("attempts", []):
        attempts.setdefault(int(attempt.get("step", 0)), []).append(attempt)
    context = {
        "session": session,
        "nav": "runs",
        "run": run,
        "event": event.to_dict() if event else None,
        "attempts": attempts,
        "letter_id": await dlq_views.letter_of_run(request, run_id),
        "notice": NOTICES.get(request.query_params.get("done", ""))
        or dlq_views.NOTICES.get(request.query_params.get("done", "")),
        "children": children,
        "cancellable": run.get("status") in cancel.CANCELLABLE
        or any(c["status"] in cancel.CANCELLABLE for c in children),
    }
    return page(request, "run.html", context)


#: Notices of the run page's own actions.
NOTICES = {"cancelled": "Cancelled: nothing more of the run, or of its unfinished items, will run."}


async def cancel_run(request: Request, session: dict[str, Any]) -> Response:
    """Cancel a queued, retrying or waiting run and its unfinished for_each children."""
    run_id = request.path_params["run_id"]
    try:
        outcome = await cancel.cancel(run_store_of(request), run_id, who="the dashboard")
    except RunNotCancellable as exc:
        return message_page(request, 409, "The run cannot be cancelled", f"{exc}.")
    if outcome is None:
        raise NotFound(f"No run with id {run_id!r}: unknown, or older than the retention.")
    target = f"/runs/{quote(run_id, safe='')}?done=cancelled"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


async def replay_event(request: Request, session: dict[str, Any]) -> Response:
    """Run an event through the current rules again, then show its runs."""
    event_id = request.path_params["event_id"]
    run_ids = await dlq_views.replay_event_now(request, event_id)
    target = f"/runs/{run_ids[0]}" if len(run_ids) == 1 else f"/events/{event_id}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


def routes(
    guard: Callable[[View], Endpoint], change: Callable[[View], Endpoint]
) -> list[BaseRoute]:
    """Runs and dead-letter routes."""
    return [
        Route("/runs", guard(runs_page), methods=["GET"]),
        Route("/runs/{run_id:path}/cancel", change(cancel_run), methods=["POST"]),
        Route("/runs/{run_id:path}", guard(run_page), methods=["GET"]),
        *dlq_views.routes(guard, change),
    ]
