"""POST /hooks/{name}: verify, parse, store, then answer 202 {"event_id": ...}.

The order is the contract: the body is read with a size limit, verified against the raw
bytes, parsed, turned into an Event with a deterministic id and stored; only a stored
event is acknowledged. A repeated delivery id stores nothing and answers
200 {"event_id": ..., "duplicate": true}, so the sender stops retrying; so does the same
body again within BRIDGE_REPLAY_WINDOW on a hook whose scheme does not sign a delivery id
(`bridge.web.replay`), whatever its unsigned headers say. Every refusal is
JSON {"error": ...}; a Redis failure is 503 with Retry-After so the sender comes back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.events import Event, EventStore
from bridge.exceptions import StoreUnavailable, TemplateError, VerificationError
from bridge.push.receive import receive_push
from bridge.rules.model import Hook
from bridge.web.bodies import BodyError, parse_body_with_text, read_body
from bridge.web.delivery import delivery_id, event_id, public_headers
from bridge.web.metrics import WebMetrics
from bridge.web.replay import body_key, claim_ttl
from bridge.web.verify import QUERY_SCHEMES, verify_hook

logger = logging.getLogger("bridge.web.hooks")

#: The metrics label of requests for hooks that do not exist (bounded cardinality).
UNKNOWN = "_unknown"
_CHALLENGES = {"basic": 'Basic realm="bridge"', "token": 'Bearer realm="bridge"'}
_NO_QUERY: Mapping[str, str] = MappingProxyType({})


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error every refusal answers with."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _headers(request: Request) -> dict[str, str]:
    """Request headers by lower-cased name; the first of repeated headers wins."""
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        out.setdefault(name.lower(), value)
    return out


def _event_type(hook: Hook, headers: dict[str, str], data: Any) -> str:
    """`webhook.<hook>[.<sub>]`; a failing `event:` template keeps the plain type.

    The request is authentic, so refusing it would lose the event; it is stored as
    `webhook.<hook>` and the failure logged for the rules' author.
    """
    try:
        return hook.event_type(headers, data)
    except TemplateError as exc:
        logger.warning(
            "hook %s: event template failed, stored as %s: %s",
            hook.name,
            hook.event_type_prefix,
            exc,
        )
        return hook.event_type_prefix


async def receive(request: Request) -> JSONResponse:
    """Accept one inbound webhook (see the module docstring for the order of checks)."""
    started = time.perf_counter()
    name: str = request.path_params["name"]
    state = request.app.state
    metrics: WebMetrics = state.metrics
    hook = state.rules.current.hooks.get(name) if state.rules is not None else None
    label = name if hook is not None else UNKNOWN
    outcome = "error"
    try:
        response, outcome = await _handle(
            request, hook, state.events, state.settings.max_body_bytes
        )
        if outcome == "accepted":
            metrics.stored(label)
        return response
    finally:
        metrics.observe(label, outcome, time.perf_counter() - started)


async def _handle(
    request: Request, hook: Hook | None, store: EventStore, limit: int
) -> tuple[JSONResponse, str]:
    if hook is None:
        return error(404, "no such hook"), "unknown_hook"
    try:
        raw = await read_body(request, limit)
        headers = _headers(request)
        query = request.query_params if hook.verify in QUERY_SCHEMES else _NO_QUERY
        verify_hook(hook, raw, headers, query, time.time())
        data, data_json = parse_body_with_text(raw, headers.get("content-type"))
    except BodyError as exc:
        outcome = "too_large" if exc.status == 413 else "bad_body"
        return error(exc.status, exc.message), outcome
    except VerificationError as exc:
        logger.info("hook %s: refused: %s", hook.name, exc)
        challenge = _CHALLENGES.get(hook.verify)
        extra = {"WWW-Authenticate": challenge} if challenge else None
        return error(401, f"verification failed: {exc}", extra), "unauthorized"
    if hook.verify == "perfex":  # a Perfex push: bridge.push fetches the record, stores
        state = request.app.state
        return await receive_push(state.push, state.redis, store, hook.name, data, raw)
    clean = public_headers(headers, hook)
    event = Event(
        id=event_id(hook.name, delivery_id(hook, headers, raw, data)),
        type=_event_type(hook, clean, data),
        source="webhook",
        data=data,
        headers=clean,
    )
    settings = request.app.state.settings
    seen = body_key(hook.name, hook.verify, raw, settings.replay_window)
    try:
        if seen is None:
            created = await store.store(event, data_json)
        else:
            ttl = claim_ttl(settings.replay_window)
            created = await store.store_claiming(event, seen, ttl, data_json)
    except StoreUnavailable:
        logger.warning("hook %s: event store unavailable, answered 503", hook.name)
        return error(503, "event store unavailable, retry later", {"Retry-After": "5"}), (
            "unavailable"
        )
    if not created:
        logger.info("hook %s: duplicate delivery %s", hook.name, event.id)
        return JSONResponse({"event_id": event.id, "duplicate": True}), "duplicate"
    # DEBUG: at INFO this line cost about 8 % of the web's CPU per webhook (25 us), and
    # uvicorn's access log already has one line per request.
    logger.debug("hook %s: stored %s as %s", hook.name, event.id, event.type)
    return JSONResponse({"event_id": event.id}, status_code=202), "accepted"


async def no_such_hook(request: Request) -> JSONResponse:
    """`/hooks/a/` or `/hooks/a/b`: no hook, said as JSON (not a redirect a sender follows)."""
    return error(404, "no such hook")


def hook_routes() -> list[Route]:
    """The inbound endpoint's routes."""
    return [
        Route("/hooks/{name}", receive, methods=["POST"]),
        Route("/hooks/{rest:path}", no_such_hook, methods=["POST"]),
    ]
