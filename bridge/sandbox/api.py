"""The generic endpoints every Perfex resource has: create, get, list, search, update, delete.

Routes follow the module's own routing: `/api/<res>` (POST create, GET list),
`/api/<res>/<id>` (GET, PUT, DELETE), `/api/delete/<res>/<id>` (DELETE) and
`/api/<res>/search/<keysearch>`.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.sandbox import checks
from bridge.sandbox.answers import fail, invalid, missing, ok, paged, sandbox_of
from bridge.sandbox.direct import cascade
from bridge.sandbox.lists import make_list
from bridge.sandbox.phpform import read_fields
from bridge.sandbox.records import (
    apply_custom_fields,
    apply_items,
    apply_update,
    matches,
    new_record,
    view,
)
from bridge.sandbox.resources import Resource

logger = logging.getLogger("bridge.sandbox.api")


def _add_fail(resource: Resource) -> JSONResponse:
    if resource.add_fail_error is not None:
        return JSONResponse(
            {"status": False, "error": resource.messages[1]}, resource.add_fail_error
        )
    return fail(resource.messages[1], key=resource.status_key)


def make_create(resource: Resource) -> Any:
    """POST /api/<res>."""

    async def create(request: Request) -> Response:
        sandbox = sandbox_of(request)
        fields = await read_fields(request)
        if not fields:
            return (
                _add_fail(resource)
                if not resource.required
                else invalid(missing(fields, resource.required))
            )
        errors = missing(fields, resource.required)
        if errors:
            return invalid(errors)
        refused = checks.check(resource, sandbox.store, fields, None)
        if refused is not None:
            return refused
        rid = sandbox.store.next_id(resource.name)
        record = new_record(resource, fields, rid, sandbox.clock)
        checks.on_create(resource, record, fields)
        apply_custom_fields(record, resource, fields)
        if resource.has_items:
            apply_items(record, sandbox.store, fields)
        sandbox.store.put(resource.name, rid, record)
        extra = {resource.returns_id: rid} if resource.returns_id else {}
        return ok(resource.messages[0], key=resource.status_key, extra=extra)

    return create


def make_get(resource: Resource) -> Any:
    """GET /api/<res>/<id>."""

    async def get(request: Request) -> Response:
        sandbox = sandbox_of(request)
        record = sandbox.store.get(resource.name, request.path_params["id"])
        if record is None:
            return fail(resource.not_found, key=resource.status_key)
        shown = view(resource, record, sandbox.store)
        return JSONResponse([shown] if resource.get_as_list else shown)

    return get


def make_search(resource: Resource) -> Any:
    """GET /api/<res>/search/<keysearch>."""

    async def search(request: Request) -> Response:
        sandbox = sandbox_of(request)
        keysearch = request.path_params["keysearch"]
        rows = [
            view(resource, r, sandbox.store)
            for r in sandbox.store.all(resource.name)
            if matches(r, keysearch)
        ]
        if not rows:
            return fail(resource.search_not_found, key=resource.status_key)
        return JSONResponse(paged(rows, request) if resource.search_paged else rows)

    return search


def make_update(resource: Resource) -> Any:
    """PUT /api/<res>/<id> (credit notes and expenses also take the id in the body)."""

    async def update(request: Request) -> Response:
        sandbox = sandbox_of(request)
        fields = await read_fields(request)
        raw_id = request.path_params.get("id", fields.get("id"))
        try:
            rid = int(str(raw_id))
        except ValueError:
            return fail(resource.messages[3], key=resource.status_key)
        record = sandbox.store.get(resource.name, rid)
        if record is None:
            return fail(resource.messages[3], key=resource.status_key)
        if not fields:
            return fail("Data Not Acceptable OR Not Provided", key=resource.status_key)
        errors = missing(fields, resource.update_required)
        if errors:
            return invalid(errors)
        refused = checks.check(resource, sandbox.store, fields, rid)
        if refused is not None:
            return refused
        apply_update(record, resource, fields)
        apply_custom_fields(record, resource, fields)
        if resource.has_items:
            apply_items(record, sandbox.store, fields)
        sandbox.store.put(resource.name, rid, record)
        return ok(resource.messages[2], key=resource.status_key, value=resource.update_status)

    return update


def make_delete(resource: Resource) -> Any:
    """DELETE /api/delete/<res>/<id> or /api/<res>/<id>."""

    async def delete(request: Request) -> Response:
        sandbox = sandbox_of(request)
        rid = request.path_params["id"]
        if not sandbox.store.delete(resource.name, rid):
            return fail(resource.messages[5], key=resource.status_key)
        cascade(sandbox.store, resource.name, rid)
        return ok(resource.messages[4], key=resource.status_key)

    return delete


def resource_routes(resource: Resource) -> list[BaseRoute]:
    """The routes of one generic resource (contacts has its own GET routes)."""
    name = resource.name
    routes: list[BaseRoute] = [
        Route(f"/{name}/search/{{keysearch}}", make_search(resource), methods=["GET"]),
        Route(f"/{name}", make_create(resource), methods=["POST"]),
        Route(f"/{name}/", make_create(resource), methods=["POST"]),
        Route(f"/{name}/{{id:int}}", make_update(resource), methods=["PUT"]),
        Route(f"/{name}/{{id:int}}", make_delete(resource), methods=["DELETE"]),
        Route(f"/delete/{name}/{{id:int}}", make_delete(resource), methods=["DELETE"]),
        Route(f"/{name}", make_update(resource), methods=["PUT"]),
    ]
    if name != "contacts":
        routes += [
            Route(f"/{name}", make_list(resource), methods=["GET"]),
            Route(f"/{name}/", make_list(resource), methods=["GET"]),
            Route(f"/{name}/{{id:int}}", make_get(resource), methods=["GET"]),
        ]
    if name == "proposals":
        routes.append(Route("/proposal/{id:int}", make_update(resource), methods=["PUT"]))
    return routes
