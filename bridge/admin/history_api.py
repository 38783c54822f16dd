"""Admin endpoints over the executor: runs, run detail, dead letters and replays."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from bridge.admin import runs_query
from bridge.admin.paging import BadQuery, parse_limit, parse_time
from bridge.admin.responses import NotFound, Unavailable, json_error
from bridge.admin.serializers import SafeJSONResponse as JSONResponse
from bridge.admin.state import events_of, redis_of, rules_watcher_of, run_store_of
from bridge.exceptions import RunNotCancellable
from bridge.executor import cancel, dlq, fanout, router

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
    children = await fanout.children(redis_of(request), run_id)
    if children:
        run["children"] = children
    return JSONResponse(run)


async def run_cancel(request: Request) -> Response:
    """Cancel a queued, retrying or waiting run and its unfinished for_each children; 409
    when nothing could be cancelled (running, finished, or about to resume)."""
    run_id = request.path_params["run_id"]
    try:
        outcome = await cancel.cancel(run_store_of(request), run_id, who="the admin API")
    except RunNotCancellable as exc:
        return json_error(409, str(exc))
    if outcome is None:
        raise NotFound(f"no run with id {run_id!r} (unknown, or older than the retention)")
    return JSONResponse(
        {
            "run_id": run_id,
            "cancelled": outcome.cancelled,
            "status": outcome.run.status,
            "children_cancelled": outcome.children,
        }
    )


async def dlq_list(request: Request) -> Response:
    """A page of dead letters, newest first (offset cursor)."""
    redis = redis_of(request)
    limit = parse_limit(request.query_params.get("limit"))
    offset = parse_offset(request.query_params.get("cursor"))
    letters = await dlq.list_letters(redis, limit=limit, offset=offset)
    total = await dlq.count(redis)
    more = offset + limit < total
    return JSONResponse(
        {"items": letters, "next_cursor": str(offset + limit) if more else None, "total": total}
    )


async def dlq_replay(request: Request) -> Response:
    """Send one dead letter's run back to the queue; it resumes at the failed step."""
    letter_id = request.path_params["letter_id"]
    if not await dlq.replay(run_store_of(request), letter_id):
        raise NotFound(f"no dead letter with id {letter_id!r}")
    logger.info("admin: replayed dead letter %s", letter_id)
    return JSONResponse({"replayed": [letter_id], "run_id": letter_id}, status_code=202)


async def dlq_replay_all(request: Request) -> Response:
    """Replay every dead letter."""
    count = await dlq.replay_all(run_store_of(request))
    logger.info("admin: replayed %d dead letters", count)
    return JSONResponse({"replayed": count}, status_code=202)


async def dlq_discard(request: Request) -> Response:
    """Drop a dead letter for good; its run stays in the history."""
    letter_id = request.path_params["letter_id"]
    if not await dlq.discard(redis_of(request), letter_id):
        raise NotFound(f"no dead letter with id {letter_id!r}")
    logger.info("admin: discarded dead letter %s", letter_id)
    return JSONResponse({"discarded": letter_id})


async def replay_event(request: Request) -> Response:
    """Run a stored event through the current rules again: new runs, one per rule."""
    event_id = request.path_params["event_id"]
    run_ids = await replay_stored_event(request, event_id)
    return JSONResponse({"event_id": event_id, "runs": run_ids}, status_code=202)


async def replay_stored_event(request: Request, event_id: str) -> list[str]:
    """The ids of the runs a replay made; NotFound for an unknown event, 503 without rules."""
    event = await events_of(request).get(event_id)
    if event is None:
        raise NotFound(f"no event with id {event_id!r} (unknown, or older than the retention)")
    watcher = rules_watcher_of(request)
    if watcher is None:
        raise Unavailable("no rules are loaded, so there is nothing to replay through")
    run_ids = await router.replay_event(redis_of(request), watcher, run_store_of(request), event)
    logger.info("admin: replayed event %s into %d runs", event_id, len(run_ids))
    return run_ids
