"""Endpoints with shapes of their own: contacts lookups, task checklists, ticket replies,
custom field values and the `common/{type}` lists."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.sandbox.answers import fail, invalid, missing, ok, sandbox_of
from bridge.sandbox.phpform import read_fields
from bridge.sandbox.records import CUSTOMFIELDS, php_string, view
from bridge.sandbox.resources import RESOURCES

logger = logging.getLogger("bridge.sandbox.special")

CHECKLIST = "task_checklist_items"
REPLIES = "ticket_replies"
#: `common/{type}` -> the table it lists.
COMMON = {
    "expense_category": "expense_categories",
    "payment_mode": "payment_modes",
    "tax_data": "taxes",
}
#: The reference's FieldBelongsto values (lower-cased) -> custom field slug.
BELONGS_TO = {
    "company": "company",
    "leads": "leads",
    "customers": "customers",
    "contacts": "contacts",
    "staff": "staff",
    "contracts": "contracts",
    "contract": "contracts",
    "tasks": "tasks",
    "expenses": "expenses",
    "invoice": "invoice",
    "items": "items",
    "note": "credit_note",
    "credit_note": "credit_note",
    "estimate": "estimate",
    "proposal": "proposal",
    "projects": "projects",
    "tickets": "tickets",
}
#: Custom field slug -> the resource whose records carry the values.
SLUG_RESOURCE = {r.customfield_slug: r for r in RESOURCES.values() if r.customfield_slug}


async def contacts_of_customer(request: Request) -> Response:
    """GET /api/contacts/{customer_id}[/{contact_id}]: one contact, or all of a customer."""
    sandbox = sandbox_of(request)
    resource = RESOURCES["contacts"]
    customer_id = str(request.path_params["customer_id"])
    contact_id = request.path_params.get("contact_id")
    rows = [r for r in sandbox.store.all("contacts") if r.get("userid") == customer_id]
    if contact_id is not None:
        rows = [r for r in rows if r["id"] == str(contact_id)]
        if not rows:
            return fail("No data were found")
        return JSONResponse(view(resource, rows[0], sandbox.store))
    if not rows:
        return fail("No data were found")
    return JSONResponse([view(resource, r, sandbox.store) for r in rows])


async def checklist_add(request: Request) -> Response:
    """POST /api/tasks/{id}/checklist: answers the new checklist_item_id."""
    sandbox = sandbox_of(request)
    task_id = request.path_params["id"]
    fields = await read_fields(request)
    if sandbox.store.get("tasks", task_id) is None:
        return fail("Task not found")
    description = str(fields.get("description", "")).strip()
    if not description:
        return fail("Description is required", 400)
    orders = [
        int(r.get("list_order") or 0)
        for r in sandbox.store.all(CHECKLIST)
        if r["taskid"] == str(task_id)
    ]
    rid = sandbox.store.next_id(CHECKLIST)
    sandbox.store.put(
        CHECKLIST,
        rid,
        {
            "id": str(rid),
            "taskid": str(task_id),
            "description": description,
            "finished": "0",
            "dateadded": sandbox.clock.datetime_str(),
            "addedfrom": "1",
            "finished_from": "0",
            "list_order": php_string(fields.get("list_order", max(orders, default=0) + 1)),
            "assigned": php_string(fields.get("assigned", "0")),
        },
    )
    return ok("Checklist item added successfully", extra={"checklist_item_id": rid})


async def checklist_list(request: Request) -> Response:
    """GET /api/tasks/{id}/checklist."""
    sandbox = sandbox_of(request)
    task_id = str(request.path_params["id"])
    rows = [r for r in sandbox.store.all(CHECKLIST) if r["taskid"] == task_id]
    if not rows:
        return fail("Task not found or no checklist items")
    rows.sort(key=lambda r: (int(r.get("list_order") or 0), int(r["id"])))
    return JSONResponse(rows)


def _checklist_item(request: Request) -> dict[str, Any] | None:
    sandbox = sandbox_of(request)
    item = sandbox.store.get(CHECKLIST, request.path_params["item_id"])
    if item is None or item["taskid"] != str(request.path_params["task_id"]):
        return None
    return item


async def checklist_update(request: Request) -> Response:
    """PUT /api/tasks/{task_id}/checklist/{item_id}."""
    sandbox = sandbox_of(request)
    fields = await read_fields(request)
    item = _checklist_item(request)
    if item is None:
        return fail("Checklist item not found")
    for key in ("description", "finished", "assigned", "list_order"):
        if key in fields:
            item[key] = php_string(fields[key])
    if "finished" in fields:
        item["finished_from"] = "1" if item["finished"] == "1" else "0"
    sandbox.store.put(CHECKLIST, int(item["id"]), item)
    return ok("Checklist item updated successfully")


async def checklist_delete(request: Request) -> Response:
    """DELETE /api/tasks/{task_id}/checklist/{item_id}."""
    sandbox = sandbox_of(request)
    item = _checklist_item(request)
    if item is None:
        return fail("Checklist item not found")
    sandbox.store.delete(CHECKLIST, int(item["id"]))
    return ok("Checklist item deleted successfully")


async def ticket_reply(request: Request) -> Response:
    """POST /api/tickets/reply/{id}: answers the new reply_id; sets the ticket's status."""
    sandbox = sandbox_of(request)
    ticket_id = request.path_params["id"]
    fields = await read_fields(request)
    ticket = sandbox.store.get("tickets", ticket_id)
    if ticket is None:
        return fail("Ticket Reply Fail.")
    errors = missing(fields, (("message", "Message"),))
    if errors:
        return invalid(errors)
    admin = php_string(fields.get("admin")) or None
    now = sandbox.clock.datetime_str()
    rid = sandbox.store.next_id(REPLIES)
    sandbox.store.put(
        REPLIES,
        rid,
        {
            "id": str(rid),
            "ticketid": str(ticket_id),
            "userid": None if admin else ticket.get("userid"),
            "contactid": None if admin else ticket.get("contactid"),
            "name": None,
            "email": None,
            "date": now,
            "message": php_string(fields["message"]),
            "attachment": None,
            "admin": admin,
            "cc": php_string(fields.get("cc", "")),
        },
    )
    ticket["status"] = php_string(fields.get("status") or ("3" if admin else "1"))
    ticket["lastreply"] = now
    sandbox.store.put("tickets", int(ticket_id), ticket)
    return ok("Ticket Reply Added Successful.", extra={"reply_id": rid})


async def custom_field_values(request: Request) -> Response:
    """GET /api/custom_fields/{belongs_to}[/{id}]: the fields of a kind, with a record's values."""
    sandbox = sandbox_of(request)
    slug = BELONGS_TO.get(str(request.path_params["belongs_to"]).lower())
    definitions = [d for d in sandbox.store.all(CUSTOMFIELDS) if d["fieldto"] == slug]
    if slug is None or not definitions:
        return fail("No data were found")
    values: dict[str, Any] = {}
    rid = request.path_params.get("id")
    if rid is not None:
        resource = SLUG_RESOURCE.get(slug)
        record = sandbox.store.get(resource.name, rid) if resource else None
        if record is None:
            return fail("No data were found")
        values = record.get("_cf", {})
    out = []
    for d in definitions:
        entry = {
            "field_name": f"custom_fields[{slug}][{d['id']}]",
            "custom_field_id": d["id"],
            "label": d["name"],
            "required": d.get("required", "0"),
            "type": d.get("type", "input"),
            "value": values.get(d["id"], ""),
        }
        if isinstance(entry["value"], list):
            entry["value"] = str(entry["value"]).replace("'", '"')
        if d.get("options"):
            entry["options"] = d["options"]
        out.append(entry)
    return JSONResponse(out)


async def common_data(request: Request) -> Response:
    """GET /api/common/{type}: expense categories, payment modes or taxes."""
    sandbox = sandbox_of(request)
    table = COMMON.get(request.path_params["type"])
    if table is None:
        return fail("Not valid data")
    rows = sandbox.store.all(table)
    if not rows:
        return fail("No data were found")
    return JSONResponse(rows)


def special_routes() -> list[BaseRoute]:
    """Routes of the endpoints above (placed before the generic ones)."""
    return [
        Route("/contacts/{customer_id:int}", contacts_of_customer, methods=["GET"]),
        Route("/contacts/{customer_id:int}/", contacts_of_customer, methods=["GET"]),
        Route(
            "/contacts/{customer_id:int}/{contact_id:int}", contacts_of_customer, methods=["GET"]
        ),
        Route("/tasks/{id:int}/checklist", checklist_add, methods=["POST"]),
        Route("/tasks/{id:int}/checklist", checklist_list, methods=["GET"]),
        Route("/tasks/{task_id:int}/checklist/{item_id:int}", checklist_update, methods=["PUT"]),
        Route("/tasks/{task_id:int}/checklist/{item_id:int}", checklist_delete, methods=["DELETE"]),
        Route("/tickets/reply/{id:int}", ticket_reply, methods=["POST"]),
        Route("/custom_fields/{belongs_to}", custom_field_values, methods=["GET"]),
        Route("/custom_fields/{belongs_to}/{id:int}", custom_field_values, methods=["GET"]),
        Route("/common/{type}", common_data, methods=["GET"]),
    ]
