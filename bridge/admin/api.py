"""The admin JSON API routes under /api/ (bearer BRIDGE_ADMIN_TOKEN on every one).

    GET    /api/events                 ?type=perfex.leads.*&source=&since=&until=&limit=&cursor=
    GET    /api/events/{id}
    POST   /api/events/{id}/replay     run the event through the current rules again
    GET    /api/runs                   ?status=&rule=&event_type=&since=&until=&limit=&cursor=
    GET    /api/runs/{id}              the run with every attempt (and its for_each children)
    POST   /api/runs/{id}/cancel       cancel a queued, retrying or waiting run (409 otherwise)
    GET    /api/dlq                    ?limit=&cursor=
    POST   /api/dlq/replay             replay every dead letter
    POST   /api/dlq/{id}/replay
    DELETE /api/dlq/{id}               discard
    GET    /api/rules                  rules and hooks loaded, load errors, inbound URLs
    GET    /api/pollers                each poller's status
    GET    /api/overview               counts for the last hour and day
    GET    /api/catalogue              the builder's triggers and actions (catalogue_api)
    GET    /api/samples/{event_type}   a sample event for the builder's field picker
    GET    /api/builder/templates      the builder's rule templates

Mount with `Mount("/api", routes=admin_routes(settings))`.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bridge.admin import catalogue_api, history_api, overview, rules_api
from bridge.admin.events_query import EventFilter, list_events
from bridge.admin.paging import decode_cursor, parse_limit
from bridge.admin.pollers import poller_statuses
from bridge.admin.responses import NotFound, guarded, json_error
from bridge.admin.serializers import SafeJSONResponse as JSONResponse
from bridge.admin.serializers import ruleset_to_dict
from bridge.admin.state import events_of, redis_of, rules_watcher_of
from bridge.scheduler.service import add_schedules
from bridge.settings import Settings

logger = logging.getLogger("bridge.admin.api")


async def events_list(request: Request) -> Response:
    """A page of stored events, newest first."""
    query = request.query_params
    flt = EventFilter.from_query(query)
    limit = parse_limit(query.get("limit"))
    items, cursor = await list_events(
        redis_of(request), flt, limit, decode_cursor(query.get("cursor"))
    )
    return JSONResponse({"items": items, "next_cursor": cursor})


async def event_detail(request: Request) -> Response:
    """One stored event."""
    event_id = request.path_params["event_id"]
    event = await events_of(request).get(event_id)
    if event is None:
        raise NotFound(f"no event with id {event_id!r} (unknown, or older than the retention)")
    return JSONResponse(event.to_dict())


async def rules(request: Request) -> Response:
    """The rules and hooks loaded now, with load errors; never a secret."""
    watcher = rules_watcher_of(request)
    ruleset = getattr(watcher, "current", None)
    errors = list(getattr(watcher, "errors", None) or [])
    data = ruleset_to_dict(ruleset, errors, str(request.base_url))
    add_schedules(data, ruleset)
    return JSONResponse(data)


async def pollers(request: Request) -> Response:
    """Every poller's state, lag and last error."""
    return JSONResponse({"items": await poller_statuses(redis_of(request))})


async def overview_counts(request: Request) -> Response:
    """Counts of events and run outcomes for the last hour and day, and the pollers."""
    return JSONResponse(await overview.summary(redis_of(request)))


async def not_found(request: Request) -> Response:
    """Any other /api/ path: a JSON 404 rather than the dashboard's HTML."""
    return json_error(404, f"no admin API route {request.method} {request.url.path}")


def admin_routes(settings: Settings) -> list[BaseRoute]:
    """The /api/ routes, each guarded by BRIDGE_ADMIN_TOKEN."""
    guard = guarded(settings.admin_token)
    return [
        Route("/events", guard(events_list), methods=["GET"]),
        Route("/events/{event_id:path}/replay", guard(history_api.replay_event), methods=["POST"]),
        Route("/events/{event_id:path}", guard(event_detail), methods=["GET"]),
        Route("/runs", guard(history_api.runs_list), methods=["GET"]),
        Route("/runs/{run_id:path}/cancel", guard(history_api.run_cancel), methods=["POST"]),
        Route("/runs/{run_id:path}", guard(history_api.run_detail), methods=["GET"]),
        Route("/dlq", guard(history_api.dlq_list), methods=["GET"]),
        Route("/dlq/replay", guard(history_api.dlq_replay_all), methods=["POST"]),
        Route("/dlq/{letter_id}/replay", guard(history_api.dlq_replay), methods=["POST"]),
        Route("/dlq/{letter_id}", guard(history_api.dlq_discard), methods=["DELETE"]),
        Route("/rules", guard(rules), methods=["GET"]),
        Route("/hooks", guard(rules), methods=["GET"]),
        Route("/pollers", guard(pollers), methods=["GET"]),
        Route("/overview", guard(overview_counts), methods=["GET"]),
        *rules_api.rules_routes(guard),
        Route("/catalogue", guard(catalogue_api.catalogue), methods=["GET"]),
        Route("/samples/{event_type:path}", guard(catalogue_api.sample), methods=["GET"]),
        Route("/builder/templates", guard(catalogue_api.gallery), methods=["GET"]),
        Route("/{rest:path}", guard(not_found), methods=["GET", "POST", "PUT", "DELETE"]),
    ]
