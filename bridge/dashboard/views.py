"""Dashboard pages: login/logout, overview, events, rules and hooks; and the route list.

routes = dashboard_routes(settings)   # mount at the app's root, after /hooks and /api
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.admin import overview
from bridge.admin.auth import token_matches
from bridge.admin.events_query import EventFilter, list_events
from bridge.admin.paging import decode_cursor, parse_limit
from bridge.admin.responses import NotFound
from bridge.admin.serializers import ruleset_to_dict
from bridge.admin.state import events_of, redis_of, rules_watcher_of
from bridge.admin.throttle import blocked_for, client_of, record_failure
from bridge.dashboard import builder_views, runs_views
from bridge.dashboard.assets import asset_routes
from bridge.dashboard.auth import end_session, read_session, safe_next, start_session
from bridge.dashboard.charts import throughput_svg
from bridge.dashboard.guard import disabled_page, is_fragment, message_page, protected
from bridge.dashboard.render import SECURITY_HEADERS, page
from bridge.scheduler.service import add_schedules
from bridge.settings import Settings

logger = logging.getLogger("bridge.dashboard.views")


def _login(settings: Settings) -> Any:
    async def login(request: Request) -> Response:
        """GET shows the form; POST checks the token and starts a session.

        Failed attempts are counted per client (bridge.admin.throttle): past the budget
        every attempt is answered 429 until the window ends, right token or not.
        """
        token = settings.admin_token
        if token is None:
            return disabled_page(request)
        target = safe_next(request.query_params.get("next"))
        redis = redis_of(request)
        try:
            if request.method == "GET":
                if await read_session(request, token) is not None:
                    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
                return page(request, "login.html", {"next": target, "error": None})
            wait = await blocked_for(redis, request)
            if wait is not None:
                error = f"Too many wrong tokens from your address. Try again in {wait} s."
                response = page(request, "login.html", {"next": target, "error": error}, 429)
                response.headers["Retry-After"] = str(wait)
                return response
            form = await request.form()
            given = form.get("token")
            if not token_matches(given if isinstance(given, str) else "", token):
                logger.warning("dashboard: failed login from %s", client_of(request))
                await record_failure(redis, request)
                return page(
                    request,
                    "login.html",
                    {"next": target, "error": "That token is not right."},
                    401,
                )
            response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
            await start_session(request, response, token)
            return response
        except (RedisError, OSError) as exc:
            logger.error("dashboard: store unavailable at login: %s", exc)
            return message_page(
                request, 503, "Store unavailable", "Redis cannot be reached; try again shortly."
            )

    return login


def _logout(settings: Settings) -> Any:
    async def logout(request: Request, session: dict[str, Any]) -> Response:
        """End the session (deleted server-side) and go back to the login page."""
        response = RedirectResponse("/login", status_code=303, headers=SECURITY_HEADERS)
        await end_session(request, response, settings.admin_token)
        return response

    return logout


async def overview_page(request: Request, session: dict[str, Any]) -> Response:
    """Pollers, counts for the last hour and day, and the throughput chart."""
    data = await overview.summary(redis_of(request))
    chart = throughput_svg(data["chart"]["events"], data["chart"].get("failures", []), data["time"])
    context = {"session": session, "nav": "overview", "data": data, "chart": chart}
    name = "_overview.html" if is_fragment(request) else "overview.html"
    return page(request, name, context)


async def events_page(request: Request, session: dict[str, Any]) -> Response:
    """Stored events, newest first, filtered by type (globs allowed) and source."""
    query = request.query_params
    flt = EventFilter.from_query(query)
    items, cursor = await list_events(
        redis_of(request), flt, parse_limit(query.get("limit")), decode_cursor(query.get("cursor"))
    )
    context = {
        "session": session,
        "nav": "events",
        "items": items,
        "next_cursor": cursor,
        "filters": flt,
    }
    return page(request, "events.html", context)


async def event_page(request: Request, session: dict[str, Any]) -> Response:
    """One event: its payload and the runs it caused."""
    event_id = request.path_params["event_id"]
    event = await events_of(request).get(event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id!r}: unknown, or older than the retention.")
    runs = await runs_views.runs_of_event(request, event_id)
    context = {"session": session, "nav": "events", "event": event.to_dict(), "runs": runs}
    return page(request, "event.html", context)


async def rules_page(request: Request, session: dict[str, Any]) -> Response:
    """Rules and hooks in plain words, with each hook's inbound URL to copy."""
    watcher = rules_watcher_of(request)
    ruleset = getattr(watcher, "current", None)
    errors = list(getattr(watcher, "errors", None) or [])
    data = ruleset_to_dict(ruleset, errors, str(request.base_url))
    add_schedules(data, ruleset)
    return page(request, "rules.html", {"session": session, "nav": "rules", "data": data})


def dashboard_routes(settings: Settings) -> list[BaseRoute]:
    """The dashboard's routes, for the app's root."""
    guard = protected(settings)
    change = protected(settings, changes=True)
    return [
        Route("/", guard(overview_page), methods=["GET"], name="dashboard"),
        Route("/login", _login(settings), methods=["GET", "POST"]),
        Route("/logout", change(_logout(settings)), methods=["POST"]),
        Route("/events", guard(events_page), methods=["GET"]),
        Route("/events/{event_id:path}/replay", change(runs_views.replay_event), methods=["POST"]),
        Route("/events/{event_id:path}", guard(event_page), methods=["GET"]),
        Route("/rules", guard(rules_page), methods=["GET"]),
        *builder_views.routes(guard),
        *runs_views.routes(guard, change),
        *asset_routes(),
    ]
