"""The control API under `/_sandbox/`, for tests and demos (header `X-Sandbox-Token`).

GET  /_sandbox/clock                      the sandbox clock
POST /_sandbox/clock                      {"set": ts, "freeze": bool}, {"advance": s},
                                          {"timezone": "Europe/Athens"} or {"reset": true}
GET  /_sandbox/records/{table}            every record, as stored
POST /_sandbox/records/{table}            create one (a JSON object) or many (a list)
GET|PUT|PATCH|DELETE /_sandbox/records/{table}/{id}
POST /_sandbox/customtables/{name}        {"columns": [...]}: declare a custom table
GET|DELETE /_sandbox/calls                the log of API calls received (never a token)
GET|POST|DELETE /_sandbox/faults          list, add ({"route", "mode", ...}), clear
DELETE /_sandbox/faults/{id}              remove one fault
POST /_sandbox/reset                      {"seed": bool}: a fresh sandbox
GET|POST /_sandbox/module                 the API module played: {"version": "v3" | "legacy",
                                          "no_list": [...], "webhooks": bool} (see `module`)
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.sandbox import direct
from bridge.sandbox.answers import sandbox_of
from bridge.sandbox.customtable import declare
from bridge.sandbox.records import view
from bridge.sandbox.resources import RESOURCES
from bridge.sandbox.seed import install_demo, install_setup
from bridge.sandbox.state import Sandbox
from bridge.sandbox.store import Record

logger = logging.getLogger("bridge.sandbox.control")


def _refused(request: Request) -> Response | None:
    given = request.headers.get("x-sandbox-token", "")
    expected = sandbox_of(request).control_token
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        return JSONResponse({"error": "X-Sandbox-Token missing or wrong"}, 401)
    return None


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _json_object(request: Request) -> dict[str, Any] | JSONResponse:
    """The body as a JSON object (empty: {}), or the 400 that refuses anything else."""
    body = await _json(request)
    if not isinstance(body, dict):
        return _bad("body must be a JSON object")
    return body


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, 400)


def _shown(sandbox: Sandbox, table: str, record: Record) -> Record:
    resource = RESOURCES.get(table)
    return view(resource, record, sandbox.store) if resource else record


def guarded(handler: Any) -> Any:
    """Wrap a control handler with the control token check."""

    async def endpoint(request: Request) -> Response:
        refused = _refused(request)
        if refused is not None:
            return refused
        response: Response = await handler(request)
        return response

    endpoint.__doc__ = handler.__doc__
    return endpoint


async def clock(request: Request) -> Response:
    """Read or move the sandbox clock."""
    sandbox = sandbox_of(request)
    if request.method == "POST":
        body = await _json_object(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            if body.get("reset"):
                sandbox.clock.reset()
            if "set" in body:
                sandbox.clock.set(float(body["set"]), freeze=bool(body.get("freeze", False)))
            if "advance" in body:
                sandbox.clock.advance(float(body["advance"]))
        except (TypeError, ValueError):
            return _bad("set and advance take numbers of seconds")
        if "timezone" in body:
            try:
                sandbox.clock.set_timezone(str(body["timezone"]))
            except ValueError as exc:
                return _bad(str(exc))
    return JSONResponse(sandbox.clock.snapshot())


async def records(request: Request) -> Response:
    """List or create records of a table, bypassing the API's rules."""
    sandbox = sandbox_of(request)
    table = request.path_params["table"]
    if request.method == "GET":
        return JSONResponse([_shown(sandbox, table, r) for r in sandbox.store.all(table)])
    body = await _json(request)
    many = body if isinstance(body, list) else [body]
    if not all(isinstance(item, dict) for item in many):
        return _bad("body must be a JSON object or a list of them")
    with sandbox.store.batch():
        created = [direct.insert(sandbox.store, sandbox.clock, table, item) for item in many]
    shown = [_shown(sandbox, table, r) for r in created]
    return JSONResponse(shown if isinstance(body, list) else shown[0], 201)


async def record(request: Request) -> Response:
    """Read, change or delete one record, bypassing the API's rules."""
    sandbox = sandbox_of(request)
    table = request.path_params["table"]
    rid = request.path_params["id"]
    if request.method == "DELETE":
        if not sandbox.store.delete(table, rid):
            return JSONResponse({"error": "no such record"}, 404)
        direct.cascade(sandbox.store, table, rid)
        return JSONResponse({"deleted": rid})
    if request.method in ("PUT", "PATCH"):
        body = await _json_object(request)
        if isinstance(body, JSONResponse):
            return body
        changed = direct.update(sandbox.store, table, rid, body)
    else:
        changed = sandbox.store.get(table, rid)
    if changed is None:
        return JSONResponse({"error": "no such record"}, 404)
    return JSONResponse(_shown(sandbox, table, changed))


async def customtables(request: Request) -> Response:
    """Declare a custom table (or add columns to one)."""
    sandbox = sandbox_of(request)
    body = await _json(request)
    columns = body.get("columns") if isinstance(body, dict) else None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        return _bad('body must be {"columns": ["name", ...]}')
    schema = declare(sandbox.store, request.path_params["name"], columns)
    return JSONResponse(schema, 201)


async def calls(request: Request) -> Response:
    """The API calls received, oldest first; DELETE empties the log."""
    sandbox = sandbox_of(request)
    if request.method == "DELETE":
        sandbox.calls.clear()
    return JSONResponse(list(sandbox.calls))


async def faults(request: Request) -> Response:
    """List, add or clear injected faults."""
    sandbox = sandbox_of(request)
    if request.method == "POST":
        body = await _json_object(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            fault = sandbox.faults.add(body)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse({"id": fault.id, "faults": sandbox.faults.snapshot()}, 201)
    if request.method == "DELETE":
        sandbox.faults.clear()
    return JSONResponse(sandbox.faults.snapshot())


async def fault(request: Request) -> Response:
    """Remove one fault."""
    if not sandbox_of(request).faults.remove(request.path_params["id"]):
        return JSONResponse({"error": "no such fault"}, 404)
    return JSONResponse(sandbox_of(request).faults.snapshot())


async def module(request: Request) -> Response:
    """Read or switch the module version played (v3, or an older one without lists)."""
    sandbox = sandbox_of(request)
    if request.method == "POST":
        body = await _json_object(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            sandbox.module.configure(body)
        except ValueError as exc:
            return _bad(str(exc))
    return JSONResponse(sandbox.module.snapshot())


async def reset(request: Request) -> Response:
    """A fresh sandbox: no records but the setup lists, no faults, empty log, real time."""
    sandbox = sandbox_of(request)
    body = await _json(request)
    seed = bool(body.get("seed")) if isinstance(body, dict) else False
    reset_sandbox(sandbox, seed=seed)
    return JSONResponse({"reset": True, "seed": seed})


def reset_sandbox(sandbox: Sandbox, *, seed: bool) -> None:
    """Empty the store, install the setup lists (and demo records), drop faults and log."""
    sandbox.faults.clear()
    sandbox.calls.clear()
    sandbox.clock.reset()
    sandbox.module.configure({"version": "v3", "no_list": [], "webhooks": True})
    sandbox.webhooks.hooks.clear()
    with sandbox.store.batch():
        sandbox.store.clear()
        install_setup(sandbox.store, sandbox.clock)
        if seed:
            install_demo(sandbox.store, sandbox.clock)


def control_routes() -> list[BaseRoute]:
    """The control API's routes (mounted at /_sandbox)."""
    return [
        Route("/clock", guarded(clock), methods=["GET", "POST"]),
        Route("/records/{table}", guarded(records), methods=["GET", "POST"]),
        Route(
            "/records/{table}/{id:int}",
            guarded(record),
            methods=["GET", "PUT", "PATCH", "DELETE"],
        ),
        Route("/customtables/{name}", guarded(customtables), methods=["POST"]),
        Route("/calls", guarded(calls), methods=["GET", "DELETE"]),
        Route("/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/faults/{id:int}", guarded(fault), methods=["DELETE"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/module", guarded(module), methods=["GET", "POST"]),
    ]
