"""Admin endpoints over the executor: runs, run detail, dead letters and replays."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.admin import runs_query
from bridge.admin.paging import BadQuery, parse_limit, parse_time
from bridge.admin.responses import NotFound, json_error
from bridge.admin.state import redis_of

logger = logging.getLogger("bridge.admin.history_api")


def parse_offset(value: str | None) -> int:
    """A runs cursor: the offset handed back as next_cursor."""
    if not value:
        return 0
    if not value.isdigit():
        raise BadQuery("cursor is not valid: pass back the next_cursor of a previous page")
    return int(value)


async def runs_list(request: Request) -> Response:
    """A page of runs, newest first, by status, rule, event type and time."""
    query = request.query_params
    runs, cursor, total = await runs_query.query_runs(
        redis_of(request),
        status=query.get("status") or None,
        rule=query.get("rule") or None,
        event_type=query.get("event_type") or None,
        since=parse_time("since", query.get("since")),
        until=parse_time("until", query.get("until")),
        limit=parse_limit(query.get("limit")),
        cursor=parse_offset(query.get("cursor")),
    )
    next_cursor = str(cursor) if cursor is not None else None
    return JSONResponse({"items": runs, "next_cursor": next_cursor, "total": total})


async def run_detail(request: Request) -> Response:
    """One run with every attempt."""
    run_id = request.path_params["run_id"]
    run = await runs_query.get_run(redis_of(request), run_id)
    if run is None:
        raise NotFound(f"no run with id {run_id!r} (unknown, or older than the retention)")
    return JSONResponse(run)


async def _pending(request: Request) -> Response:
    return json_error(503, "the dead-letter queue is not available in this build")


dlq_list = dlq_replay_all = dlq_replay = dlq_discard = replay_event = _pending
