"""Records as Perfex stores and returns them: strings everywhere, custom fields, items.

Stored records keep private parts under `_`-keys (`_cf` custom field values, `_items`
line items); `view` turns a stored record into the JSON the API answers with.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from bridge.sandbox.clock import SandboxClock
from bridge.sandbox.resources import Resource
from bridge.sandbox.store import Record, Store

logger = logging.getLogger("bridge.sandbox.records")

#: Fields the API takes apart instead of storing as columns.
SPECIAL_FIELDS = {"custom_fields", "newitems", "items", "removed_items"}
#: MySQL DECIMAL(15,2) columns: answered as "110.00".
DECIMALS = {
    "subtotal",
    "total",
    "total_tax",
    "adjustment",
    "rate",
    "qty",
    "amount",
    "contract_value",
    "hourly_rate",
    "discount_percent",
    "discount_total",
    "project_cost",
    "project_rate_per_hour",
    "estimated_hours",
}
#: Table of custom field definitions.
CUSTOMFIELDS = "customfields"


def php_string(value: Any) -> Any:
    """A scalar as PHP-MySQL gives it back: a string, or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return [php_string(v) for v in value]
    if isinstance(value, dict):
        return {str(k): php_string(v) for k, v in value.items()}
    return str(value)


def php_serialize_list(values: list[Any]) -> str:
    """PHP's serialize() of a list of strings (how invoices keep allowed_payment_modes)."""
    parts = "".join(f'i:{i};s:{len(str(v))}:"{v}";' for i, v in enumerate(values))
    return f"a:{len(values)}:{{{parts}}}"


def column_value(name: str, value: Any) -> Any:
    """A posted value as the column stores it (passwords only ever as a hash)."""
    value = php_string(value)
    if name == "password" and isinstance(value, str):
        digest = hashlib.sha256(value.encode()).hexdigest()
        return "$2a$08$" + digest[:53]
    if name == "allowed_payment_modes":
        return php_serialize_list(value if isinstance(value, list) else [value])
    if name == "assignees" and isinstance(value, str):
        stripped = value.strip("[] ")
        return [v.strip().strip('"') for v in stripped.split(",") if v.strip()]
    if name in DECIMALS and isinstance(value, str):
        try:
            return f"{float(value):.2f}"
        except ValueError:
            return value
    return value


def new_record(resource: Resource, fields: dict[str, Any], rid: int, clock: SandboxClock) -> Record:
    """A record as Perfex would insert it from the posted fields."""
    record: Record = {key: str(rid) for key in resource.id_keys}
    record.update(resource.defaults)
    for name, value in fields.items():
        if name not in SPECIAL_FIELDS and name not in resource.id_keys:
            record[name] = column_value(name, value)
    if resource.created:
        record[resource.created] = (
            clock.date_str() if resource.created_is_date else (clock.datetime_str())
        )
    for key in ("hash", "ticketkey"):
        if key in record and not record[key]:
            seed = f"{resource.name}{key}{rid}".encode()
            record[key] = hashlib.md5(seed, usedforsecurity=False).hexdigest()
    record["_cf"] = {}
    if resource.has_items:
        record["_items"] = []
    return record


def apply_update(record: Record, resource: Resource, fields: dict[str, Any]) -> None:
    """Write the posted columns over a stored record (ids and creation column stay)."""
    for name, value in fields.items():
        if name in SPECIAL_FIELDS or name in resource.id_keys or name == resource.created:
            continue
        record[name] = column_value(name, value)


def apply_custom_fields(record: Record, resource: Resource, fields: dict[str, Any]) -> None:
    """Store `custom_fields[<slug>][<id>]` values; an empty value removes one."""
    posted = fields.get("custom_fields")
    if not isinstance(posted, dict) or resource.customfield_slug is None:
        return
    values = posted.get(resource.customfield_slug)
    if isinstance(values, list):
        values = {str(i): v for i, v in enumerate(values)}
    if not isinstance(values, dict):
        return
    stored: dict[str, Any] = record.setdefault("_cf", {})
    for field_id, value in values.items():
        value = php_string(value)
        if value in ("", [], None):
            stored.pop(str(field_id), None)
        else:
            stored[str(field_id)] = value


def apply_items(record: Record, store: Store, fields: dict[str, Any]) -> None:
    """Line items: add `newitems`, update `items` (by itemid), drop `removed_items`."""
    items: list[Record] = record.setdefault("_items", [])
    removed = fields.get("removed_items")
    if removed:
        gone = {str(v) for v in (removed if isinstance(removed, list) else [removed])}
        items[:] = [item for item in items if item["id"] not in gone]
    existing = fields.get("items")
    for posted in _item_rows(existing):
        for item in items:
            if item["id"] == str(posted.get("itemid", "")):
                for key in ("description", "long_description", "qty", "rate", "unit"):
                    if key in posted:
                        item[key] = column_value(key, posted[key])
                if "order" in posted:
                    item["item_order"] = php_string(posted["order"])
    for posted in _item_rows(fields.get("newitems")):
        item_id = store.next_id("itemable")
        items.append(
            {
                "id": str(item_id),
                "description": php_string(posted.get("description", "")),
                "long_description": php_string(posted.get("long_description", "")),
                "qty": column_value("qty", posted.get("qty", "1")),
                "rate": column_value("rate", posted.get("rate", "0")),
                "unit": php_string(posted.get("unit", "")),
                "item_order": php_string(posted.get("order", str(len(items) + 1))),
            }
        )


def _item_rows(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, dict)]


def customfield_values(store: Store, slug: str, record: Record) -> list[dict[str, Any]]:
    """The `customfields` list of a record: every field of its kind, label and value."""
    values: dict[str, Any] = record.get("_cf", {})
    out = []
    for definition in store.all(CUSTOMFIELDS):
        if definition["fieldto"] != slug:
            continue
        value = values.get(definition["id"], "")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        out.append({"label": definition["name"], "value": value})
    return out


def view(resource: Resource, record: Record, store: Store) -> Record:
    """The record as the API returns it."""
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    rtype = resource.name.rstrip("s") if resource.name != "credit_notes" else "credit_note"
    if resource.has_items:
        out["items"] = [
            {
                "id": item["id"],
                "rel_id": out.get("id"),
                "rel_type": rtype,
                **{k: v for k, v in item.items() if k != "id"},
            }
            for item in record.get("_items", [])
        ]
        out["attachments"] = []
        out["visible_attachments_to_customer_found"] = False
    if resource.name in ("invoices", "estimates") and out.get("clientid"):
        client = store.get("customers", _int(out["clientid"]))
        out["client"] = {k: v for k, v in client.items() if k[0] != "_"} if client else None
    if resource.name == "invoices":
        payments = [p for p in store.all("payments") if p.get("invoiceid") == out.get("id")]
        paid = sum(_float(p.get("amount")) for p in payments)
        out["total_left_to_pay"] = f"{_float(out.get('total')) - paid:.2f}"
        out["payments"] = payments
    if resource.customfield_slug is not None:
        out["customfields"] = customfield_values(store, resource.customfield_slug, record)
    return out


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _float(value: Any) -> float:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return 0.0


def matches(record: Record, keysearch: str) -> bool:
    """Whether a search keyword occurs in any of the record's text columns (LIKE %k%)."""
    needle = keysearch.lower()
    return any(
        isinstance(v, str) and needle in v.lower()
        for k, v in record.items()
        if not k.startswith("_")
    )
