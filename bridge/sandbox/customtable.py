"""`/api/thirdparty/customtable/{table}`: plain rows of user-made tables, JSON bodies.

A table exists once it is declared (seeded, or through the control API) with its
columns; as with the real module, a body naming a column the table lacks is refused.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.sandbox.answers import fail, ok, sandbox_of
from bridge.sandbox.records import php_string
from bridge.sandbox.store import Record, Store

logger = logging.getLogger("bridge.sandbox.customtable")

#: Table of declared custom tables: {"id", "name", "columns"}.
SCHEMAS = "customtable_schemas"


def rows_table(name: str) -> str:
    """The store table that holds a custom table's rows."""
    return f"customtable:{name}"


def find_schema(store: Store, name: str) -> Record | None:
    """A declared custom table by name, or None."""
    for schema in store.all(SCHEMAS):
        if schema["name"] == name:
            return schema
    return None


def declare(store: Store, name: str, columns: list[str]) -> Record:
    """Create (or extend) a custom table with the given columns; `id` is implied."""
    schema = find_schema(store, name)
    if schema is None:
        rid = store.next_id(SCHEMAS)
        schema = {"id": rid, "name": name, "columns": []}
    for column in columns:
        if column != "id" and column not in schema["columns"]:
            schema["columns"].append(column)
    store.put(SCHEMAS, int(schema["id"]), schema)
    return schema


async def _body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        return None
    request.state.sandbox_fields = decoded
    return decoded if isinstance(decoded, dict) else None


def _unknown_column(schema: Record, body: dict[str, Any]) -> JSONResponse | None:
    for column in body:
        if column != "id" and column not in schema["columns"]:
            text = f"Column '{column}' does not exist in table '{schema['name']}'"
            return fail(text, 400)
    return None


def _no_table(name: str) -> JSONResponse:
    return fail(f"Table '{name}' does not exist")


async def list_rows(request: Request) -> Response:
    """GET .../{table}: every row."""
    store = sandbox_of(request).store
    name = request.path_params["table"]
    if find_schema(store, name) is None:
        return _no_table(name)
    return JSONResponse(store.all(rows_table(name)))


async def get_row(request: Request) -> Response:
    """GET .../{table}/{id}."""
    store = sandbox_of(request).store
    name = request.path_params["table"]
    if find_schema(store, name) is None:
        return _no_table(name)
    row = store.get(rows_table(name), request.path_params["id"])
    return JSONResponse(row) if row is not None else fail("Record not found")


async def _write_request(request: Request) -> tuple[Store, str, Record, Record] | Response:
    """The store, table name, schema and body of an insert or update, or its refusal."""
    store = sandbox_of(request).store
    name = request.path_params["table"]
    schema = find_schema(store, name)
    if schema is None:
        return _no_table(name)
    body = await _body(request)
    if not body:
        return fail("No data provided", 400)
    refused = _unknown_column(schema, body)
    if refused is not None:
        return refused
    return store, name, schema, body


async def insert_row(request: Request) -> Response:
    """POST .../{table}: 201 with the new id."""
    checked = await _write_request(request)
    if isinstance(checked, Response):
        return checked
    store, name, schema, body = checked
    rid = store.next_id(rows_table(name))
    row: Record = {"id": str(rid)}
    row.update({c: None for c in schema["columns"]})
    row.update({k: php_string(v) for k, v in body.items() if k != "id"})
    store.put(rows_table(name), rid, row)
    return JSONResponse({"status": True, "message": "Record created successfully", "id": rid}, 201)


async def update_row(request: Request) -> Response:
    """PUT .../{table}/{id}."""
    checked = await _write_request(request)
    if isinstance(checked, Response):
        return checked
    store, name, _schema, body = checked
    rid = request.path_params["id"]
    row = store.get(rows_table(name), rid)
    if row is None:
        return fail("Record not found")
    row.update({k: php_string(v) for k, v in body.items() if k != "id"})
    store.put(rows_table(name), rid, row)
    return ok("Record updated successfully")


async def delete_row(request: Request) -> Response:
    """DELETE .../{table}/{id}."""
    store = sandbox_of(request).store
    name = request.path_params["table"]
    if find_schema(store, name) is None:
        return _no_table(name)
    if not store.delete(rows_table(name), request.path_params["id"]):
        return fail("Record not found")
    return ok("Record deleted successfully")


def customtable_routes() -> list[BaseRoute]:
    """The five customtable routes."""
    base = "/thirdparty/customtable/{table}"
    return [
        Route(base, list_rows, methods=["GET"]),
        Route(base, insert_row, methods=["POST"]),
        Route(base + "/{id:int}", get_row, methods=["GET"]),
        Route(base + "/{id:int}", update_row, methods=["PUT"]),
        Route(base + "/{id:int}", delete_row, methods=["DELETE"]),
    ]
