"""Per-resource rules Perfex applies beyond mandatory fields (unique numbers, lookups)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

from bridge.sandbox.answers import fail, invalid
from bridge.sandbox.resources import Resource, primary_id
from bridge.sandbox.store import Store

logger = logging.getLogger("bridge.sandbox.checks")


def _exists(store: Store, table: str, value: Any) -> bool:
    try:
        return store.get(table, int(str(value))) is not None
    except ValueError:
        return False


def check(
    resource: Resource, store: Store, fields: dict[str, Any], rid: int | None
) -> JSONResponse | None:
    """The failure answer a create (rid None) or update would get, or None to go ahead."""
    if resource.unique is not None:
        column, message = resource.unique
        value = fields.get(column)
        if value is not None:
            for other in store.all(resource.name):
                if other.get(column) == str(value) and primary_id(resource, other) != rid:
                    return invalid({column: message})
    if resource.name == "contacts":
        email = str(fields.get("email", "")).lower()
        for other in store.all("contacts"):
            if str(other.get("email", "")).lower() == email and int(other["id"]) != rid:
                text = "This Email is already exists"
                return JSONResponse(
                    {"status": False, "error": {"email": text}, "message": text}, 409
                )
        if rid is None and not _exists(store, "customers", fields.get("customer_id")):
            return fail(resource.messages[1])
    if resource.name == "expenses" and not _exists(
        store, "expense_categories", fields.get("category")
    ):
        return invalid({"category": "The Expense Category is not found."})
    if resource.name == "payments" and not _exists(store, "invoices", fields.get("invoiceid")):
        return fail(resource.messages[1], key="paymentmode")
    return None


def on_create(resource: Resource, record: dict[str, Any], fields: dict[str, Any]) -> None:
    """Columns Perfex derives from others when it inserts a record."""
    if resource.name == "contacts":
        record["userid"] = str(fields.get("customer_id", "0"))
        record.pop("customer_id", None)
        record["is_primary"] = "1" if fields.get("is_primary") in ("on", "1") else "0"
    if resource.name == "payments":
        record.setdefault("date", record.get("daterecorded", "")[:10])
