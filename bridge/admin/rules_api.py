"""The rules API the builder uses: dry run, create, read, edit, delete, enable, audit.

    POST   /api/rules/test              {"rule", "hooks"?, "event"? | "event_id"?} -> the dry run
    POST   /api/rules                   {"rule", "hooks"?} -> 201 {"name", "file", "version"}
    GET    /api/rules/audit             ?limit=&rule= -> {"items": [...]}
    GET    /api/rules/{name}            {"rule", "file", "version", "hooks", "conditions", ...}
    PUT    /api/rules/{name}            {"rule", "version", "hooks"?}
    DELETE /api/rules/{name}            ?version= (optional)
    POST   /api/rules/{name}/enabled    {"enabled": false, "version"?}
    POST   /api/builder/conditions      {"rows", "any"?} -> {"if"}; {"if"} -> {"rows", "any"}
    GET    /api/builder/secrets         ?names=A,B -> {"A": true, "B": false}

Errors: 422 `{"errors": [{"path", "message"}]}` (every one at once); 409 `{"error",
"conflict": "name" | "version" | "read_only"}` with `current` and `diff` for a stale
version and `yaml` (the text it would have written) for a read-only place. Thin: the work
is in `bridge.builder`; the admin guard (token or session + CSRF) wraps every route.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.admin.paging import BadQuery
from bridge.admin.responses import Endpoint, NotFound, json_error
from bridge.admin.state import events_of, redis_of, rules_watcher_of, settings_of
from bridge.builder import audit, service
from bridge.builder.conditions import ConditionError, parse_expression, rows_to_expression
from bridge.builder.samples import perfex_client, sample_event, schedule_sample
from bridge.builder.trial import try_rule
from bridge.exceptions import RuleFileConflict, RuleInvalid, UnknownEventType

logger = logging.getLogger("bridge.admin.rules_api")

#: A request body of the builder: a rule, its hooks, maybe an event.
MAX_BODY = 512 * 1024
#: Nesting a rule (or an event to try it on) may have.
MAX_DEPTH = 40
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_EVENT_KEYS = ("type", "data")


class _Invalid(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors


def _root(request: Request) -> Path:
    return Path(settings_of(request).rules)


def _who(request: Request) -> str:
    who = getattr(request.state, "who", None) or "admin token"
    client = request.client.host if request.client else "unknown"
    return f"{who} from {client}"


async def _body(request: Request) -> dict[str, Any]:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise _Invalid([{"path": "", "message": f"body over {MAX_BODY // 1024} KiB"}])
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _Invalid([{"path": "", "message": "the body must be JSON"}]) from None
    if not isinstance(body, dict):
        raise _Invalid([{"path": "", "message": "the body must be a JSON object"}])
    if _too_deep(body, MAX_DEPTH):
        raise _Invalid([{"path": "", "message": f"nested deeper than {MAX_DEPTH} levels"}])
    return body


def _too_deep(value: Any, left: int) -> bool:
    """Whether JSON nests deeper than `left` levels (a rule is a few levels deep)."""
    if left < 0:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, left - 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, left - 1) for v in value)
    return False


def _handled(endpoint: Endpoint) -> Endpoint:
    """Turn the builder's exceptions into the API's 422 / 409 / 404 answers."""

    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except _Invalid as exc:
            return JSONResponse({"errors": exc.errors}, status_code=422)
        except RuleInvalid as exc:
            return JSONResponse({"errors": exc.errors}, status_code=422)
        except service.RuleNotFound as exc:
            raise NotFound(str(exc)) from None
        except RuleFileConflict as exc:
            return _conflict(request, exc)

    run.__name__ = endpoint.__name__
    run.__doc__ = endpoint.__doc__
    return run


def _conflict(request: Request, exc: RuleFileConflict) -> Response:
    extra: dict[str, Any] = {"conflict": exc.kind}
    if exc.kind == "read_only":
        extra["yaml"] = exc.current or ""
    elif exc.kind == "version":
        name = request.path_params.get("name", "")
        extra.update(
            service.version_conflict(
                _root(request), name, getattr(request.state, "submitted", None)
            )
        )
    return json_error(409, str(exc), **extra)


async def _audit(request: Request, saved: service.Saved, change: str) -> None:
    await audit.record(
        redis_of(request),
        rule=saved.name,
        change=change,
        who=_who(request),
        file=saved.file,
        version=saved.version or None,
    )


@_handled
async def test_rule(request: Request) -> Response:
    """The dry run of an unsaved rule against the given event or the trigger's sample."""
    body = await _body(request)
    rule, hooks = service.check_shape(body.get("rule"), body.get("hooks"))
    event, source = body.get("event"), "given"
    if event is None and body.get("event_id") is not None:
        event, source = await _stored(request, body["event_id"]), "stored"
    if event is None:
        event, source = await _sample(request, rule)
    elif not isinstance(event, dict) or not all(k in event for k in _EVENT_KEYS):
        raise _Invalid([{"path": "event", "message": "an event is {type, data, ...}"}])
    settings = settings_of(request)
    result = await run_in_threadpool(
        try_rule,
        _root(request),
        rule,
        hooks,
        {"id": "builder-test", "source": "builder", **event},
        environ=os.environ,
        perfex_url=settings.perfex_url,
    )
    result["event_source"] = source
    return JSONResponse(result)


async def _stored(request: Request, event_id: Any) -> dict[str, Any]:
    """A stored event chosen from the list (GET /api/events), to try the rule on."""
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 300:
        raise _Invalid([{"path": "event_id", "message": "event_id must be a stored event's id"}])
    event = await events_of(request).get(event_id)
    if event is None:
        raise _Invalid([{"path": "event_id", "message": f"no stored event {event_id!r}"}])
    stored: dict[str, Any] = event.to_dict()
    return stored


async def _sample(request: Request, rule: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The sample of the rule's first exact `on:` type (catalogue's samples.py)."""
    on = rule.get("on")
    patterns = on if isinstance(on, list) else [on]
    exact = next((p for p in patterns if isinstance(p, str) and "*" not in p), None)
    if exact is None:
        raise _Invalid([{"path": "event", "message": "on: is a pattern: give an event to try"}])
    if exact == "schedule" and isinstance(rule.get("name"), str):
        try:
            tick = await schedule_sample(rule["name"], redis=redis_of(request))
        except UnknownEventType as exc:
            raise _Invalid([{"path": "name", "message": str(exc)}]) from None
        return dict(tick["event"]), str(tick["source"])
    watcher = rules_watcher_of(request)
    perfex = perfex_client(settings_of(request))
    try:
        answer = await sample_event(
            exact,
            redis=redis_of(request),
            perfex=perfex,
            ruleset=getattr(watcher, "current", None),
        )
    except UnknownEventType as exc:
        raise _Invalid([{"path": "on", "message": str(exc)}]) from None
    finally:
        if perfex is not None:
            await perfex.aclose()
    return dict(answer["event"]), str(answer["source"])


@_handled
async def create_rule(request: Request) -> Response:
    """A new rule, checked, written to `<BRIDGE_RULES>/<name>.yml`."""
    body = await _body(request)
    request.state.submitted = None
    saved = await run_in_threadpool(
        service.create, _root(request), body.get("rule"), body.get("hooks"), os.environ
    )
    await _audit(request, saved, "created")
    return JSONResponse(saved.to_dict(), status_code=201)


@_handled
async def read_rule(request: Request) -> Response:
    """The rule as JSON, its file, version, hooks, condition rows and YAML."""
    name = request.path_params["name"]
    return JSONResponse(await run_in_threadpool(service.read, _root(request), name))


@_handled
async def update_rule(request: Request) -> Response:
    """The rule rewritten in its file, if the version is still current."""
    name = request.path_params["name"]
    body = await _body(request)
    request.state.submitted = body.get("rule") if isinstance(body.get("rule"), dict) else None
    saved = await run_in_threadpool(
        service.update,
        _root(request),
        name,
        body.get("rule"),
        body.get("hooks"),
        body.get("version"),
        os.environ,
    )
    await _audit(request, saved, "edited")
    return JSONResponse(saved.to_dict())


@_handled
async def delete_rule(request: Request) -> Response:
    """The rule removed: its file, or its entry in a shared file."""
    name = request.path_params["name"]
    request.state.submitted = None
    version = request.query_params.get("version") or None
    saved = await run_in_threadpool(service.delete, _root(request), name, version)
    await _audit(request, saved, "deleted")
    return JSONResponse({"name": name, "file": saved.file, "deleted": True})


@_handled
async def set_enabled(request: Request) -> Response:
    """`enabled:` written into the rule's file."""
    name = request.path_params["name"]
    body = await _body(request)
    request.state.submitted = None
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise _Invalid([{"path": "enabled", "message": "enabled must be true or false"}])
    version = body.get("version") if isinstance(body.get("version"), str) else None
    saved = await run_in_threadpool(
        service.set_enabled, _root(request), name, enabled, version, os.environ
    )
    await _audit(request, saved, "enabled" if enabled else "disabled")
    return JSONResponse({**saved.to_dict(), "enabled": enabled})


async def audit_log(request: Request) -> Response:
    """The newest writes first."""
    raw = request.query_params.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= audit.MAX_ENTRIES:
        raise BadQuery(f"limit must be a number from 1 to {audit.MAX_ENTRIES}")
    rule = request.query_params.get("rule") or None
    return JSONResponse({"items": await audit.entries(redis_of(request), int(raw), rule)})


@_handled
async def conditions(request: Request) -> Response:
    """Rows to an `if:` expression, or an `if:` back to rows (null when it is not rows)."""
    body = await _body(request)
    if "rows" in body:
        try:
            expression = rows_to_expression(body["rows"], bool(body.get("any")))
        except ConditionError as exc:
            raise _Invalid([{"path": "rows", "message": str(exc)}]) from None
        return JSONResponse({"if": expression})
    if isinstance(body.get("if"), str):
        parsed = parse_expression(body["if"])
        if parsed is None:
            return JSONResponse({"rows": None, "any": False})
        return JSONResponse({"rows": parsed[0], "any": parsed[1]})
    raise _Invalid([{"path": "", "message": 'give {"rows": [...]} or {"if": "..."}'}])


async def secrets_set(request: Request) -> Response:
    """Whether each named environment variable is set; never its value."""
    names = [n for n in request.query_params.get("names", "").split(",") if n]
    if len(names) > 50 or not all(_ENV_NAME.match(n) for n in names):
        raise BadQuery("names: up to 50 environment variable names, comma-separated")
    return JSONResponse({name: bool(os.environ.get(name)) for name in names})


def rules_routes(guard: Callable[[Endpoint], Endpoint]) -> list[BaseRoute]:
    """The builder's rules routes, to list before the catch-all of `admin_routes`."""
    return [
        Route("/rules/test", guard(test_rule), methods=["POST"]),
        Route("/rules/audit", guard(audit_log), methods=["GET"]),
        Route("/rules", guard(create_rule), methods=["POST"]),
        Route("/rules/{name}/enabled", guard(set_enabled), methods=["POST"]),
        Route("/rules/{name}", guard(read_rule), methods=["GET"]),
        Route("/rules/{name}", guard(update_rule), methods=["PUT"]),
        Route("/rules/{name}", guard(delete_rule), methods=["DELETE"]),
        Route("/builder/conditions", guard(conditions), methods=["POST"]),
        Route("/builder/secrets", guard(secrets_set), methods=["GET"]),
    ]
