"""Dashboard pages for the dead-letter queue: list, replay one, replay all, discard.

Every button is a POST form carrying the session's CSRF token (checked by the guard);
after acting, the browser is redirected (303) so a reload never repeats the action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bridge import constants
from bridge.admin.history_api import parse_offset, replay_stored_event
from bridge.admin.paging import parse_limit
from bridge.admin.responses import NotFound
from bridge.admin.state import redis_of, run_store_of
from bridge.dashboard.guard import Endpoint, View
from bridge.dashboard.render import SECURITY_HEADERS, page
from bridge.executor import dlq

logger = logging.getLogger("bridge.dashboard.dlq_views")

#: Messages shown after an action, chosen by a fixed key so no text is reflected.
NOTICES = {
    "replayed": "The run was sent back to the queue; it resumes at the step that failed.",
    "replayed-all": "Every dead letter was sent back to the queue.",
    "discarded": "The dead letter was discarded; its run stays in the history.",
}


async def letter_of_run(request: Request, run_id: str) -> str | None:
    """The dead letter holding this run (its id is the run id), if any."""
    exists = await redis_of(request).exists(constants.DLQ_ITEM + run_id)
    return run_id if exists else None


async def replay_event_now(request: Request, event_id: str) -> list[str]:
    """Replay an event through the current rules; the ids of the runs it made."""
    return await replay_stored_event(request, event_id)


async def dlq_page(request: Request, session: dict[str, Any]) -> Response:
    """The dead letters, newest first, each with replay and discard buttons."""
    redis = redis_of(request)
    limit = parse_limit(request.query_params.get("limit"))
    offset = parse_offset(request.query_params.get("cursor"))
    letters = await dlq.list_letters(redis, limit=limit, offset=offset)
    total = await dlq.count(redis)
    next_url = f"/dlq?cursor={offset + limit}" if offset + limit < total else None
    context = {
        "session": session,
        "nav": "dlq",
        "letters": letters,
        "total": total,
        "next_url": next_url,
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return page(request, "dlq.html", context)


def _back(request: Request, done: str, run_id: str | None = None) -> Response:
    target = f"/runs/{run_id}?done={done}" if run_id else f"/dlq?done={done}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


async def replay_one(request: Request, session: dict[str, Any]) -> Response:
    """Replay one letter, then show its run."""
    letter_id = request.path_params["letter_id"]
    if not await dlq.replay(run_store_of(request), letter_id):
        raise NotFound(f"No dead letter with id {letter_id!r}: it was replayed or discarded.")
    logger.info("dashboard: replayed dead letter %s", letter_id)
    return _back(request, "replayed", letter_id)


async def replay_all(request: Request, session: dict[str, Any]) -> Response:
    """Replay every letter."""
    count = await dlq.replay_all(run_store_of(request))
    logger.info("dashboard: replayed %d dead letters", count)
    return _back(request, "replayed-all")


async def discard(request: Request, session: dict[str, Any]) -> Response:
    """Drop one letter for good."""
    letter_id = request.path_params["letter_id"]
    if not await dlq.discard(redis_of(request), letter_id):
        raise NotFound(f"No dead letter with id {letter_id!r}: it was replayed or discarded.")
    logger.info("dashboard: discarded dead letter %s", letter_id)
    return _back(request, "discarded")


def routes(
    guard: Callable[[View], Endpoint], change: Callable[[View], Endpoint]
) -> list[BaseRoute]:
    """Dead-letter routes."""
    return [
        Route("/dlq", guard(dlq_page), methods=["GET"]),
        Route("/dlq/replay-all", change(replay_all), methods=["POST"]),
        Route("/dlq/{letter_id:path}/replay", change(replay_one), methods=["POST"]),
        Route("/dlq/{letter_id:path}/discard", change(discard), methods=["POST"]),
    ]
