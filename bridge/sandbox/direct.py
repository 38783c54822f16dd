"""Changing records as a person in the Perfex UI would: no validation, no API rules.

Used by the control API and the seed. Any column can be given, including the creation
column (to back-date a record) and flags the API never sets (a lead created as junk).
"""

from __future__ import annotations

import logging
from typing import Any

from bridge.sandbox.clock import SandboxClock
from bridge.sandbox.records import (
    apply_custom_fields,
    apply_items,
    column_value,
    new_record,
    php_string,
)
from bridge.sandbox.resources import RESOURCES
from bridge.sandbox.store import Record, Store

logger = logging.getLogger("bridge.sandbox.direct")


def insert(store: Store, clock: SandboxClock, table: str, fields: dict[str, Any]) -> Record:
    """Insert a record into `table`; returns it as stored (with its new id)."""
    resource = RESOURCES.get(table)
    rid = store.next_id(table)
    if resource is None:
        record: Record = {"id": str(rid), **{k: php_string(v) for k, v in fields.items()}}
        record["id"] = str(rid)
        store.put(table, rid, record)
        return record
    record = new_record(resource, fields, rid, clock)
    for key, value in fields.items():
        if key not in ("custom_fields", "newitems", "items", "removed_items", *resource.id_keys):
            record[key] = column_value(key, value)
    apply_custom_fields(record, resource, fields)
    if resource.has_items:
        apply_items(record, store, fields)
    store.put(table, rid, record)
    return record


def update(store: Store, table: str, rid: int, fields: dict[str, Any]) -> Record | None:
    """Overwrite columns of a record; None when it does not exist."""
    record = store.get(table, rid)
    if record is None:
        return None
    resource = RESOURCES.get(table)
    for key, value in fields.items():
        if key in ("custom_fields", "newitems", "items", "removed_items"):
            continue
        if resource is not None and key in resource.id_keys:
            continue
        if table not in RESOURCES and key == "id":
            continue
        record[key] = column_value(key, value)
    if resource is not None:
        apply_custom_fields(record, resource, fields)
        if resource.has_items:
            apply_items(record, store, fields)
    store.put(table, rid, record)
    return record


def cascade(store: Store, table: str, rid: int) -> None:
    """What Perfex removes along with a record: a customer's contacts, a task's checklist."""
    children = {
        "customers": ("contacts", "userid"),
        "tasks": ("task_checklist_items", "taskid"),
        "tickets": ("ticket_replies", "ticketid"),
    }
    if table in children:
        child, column = children[table]
        for row in store.all(child):
            if row.get(column) == str(rid):
                store.delete(child, int(row["id"]))
