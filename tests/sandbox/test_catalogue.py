"""Every action of the operation catalogue is served by the sandbox.

Each operation is sent well-formed (its required fields filled, path parameters naming
seeded records, the body encoded by the bridge's own form encoder) and must get a
successful JSON answer: no CodeIgniter 404 page, no "Method not found".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bridge.perfex.catalogue import OPERATIONS, Operation
from bridge.perfex.forms import encode_form
from tests.sandbox.conftest import TOKEN

_PATH_VALUES = {
    "id": "1",
    "customer_id": "1",
    "contact_id": "1",
    "task_id": "1",
    "item_id": "1",
    "keysearch": "1",
    "belongs_to": "invoice",
    "type": "tax_data",
    "table": "custom_shoes",
    "method": "poll",
    "resource": "leads",
}
_counter = itertools.count(1)


def _value(name: str, op: Operation) -> Any:
    n = next(_counter)
    values: dict[str, Any] = {
        "email": f"walk{n}@example.com",
        "number": str(5000 + n),
        "newitems": [{"description": "Walk item", "qty": 1, "rate": 10}],
        "items": [{"itemid": "1", "description": "Walked item"}],
        "allowed_payment_modes": ["1"],
        "rel_type": "customer",
        "password": "pw",
        "start": "2026-11-01 10:00:00",
        "reminder_before_type": "minutes",
    }
    if name in values:
        return values[name]
    if "date" in name:
        return "2026-11-01"
    return "1"


def _request(op: Operation) -> dict[str, Any]:
    path = op.path
    for param in op.path_params:
        path = path.replace("{" + param + "}", _PATH_VALUES[param])
    fields = {name: _value(name, op) for name in op.required}
    if not fields and op.body == "form":
        fields = {op.optional[0]: "walk"} if op.optional else {"note": "walk"}
    kwargs: dict[str, Any] = {"method": op.method, "url": path}
    if op.body == "json":
        kwargs["json"] = {"shoenumber": "44"}
    elif op.body == "form":
        if op.verb == "update" and "id" not in op.path_params:
            fields["id"] = "1"  # PUT /credit_notes and /expenses name the record in the body
        kwargs["content"] = urlencode(encode_form(fields)).encode()
        kwargs["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    elif op.body == "query":
        kwargs["params"] = fields
    return kwargs


def _ordered() -> list[Operation]:
    """Deletes last (customers the very last: it takes its contacts along)."""
    ops = sorted(OPERATIONS.values(), key=lambda o: o.name)
    deletes = [o for o in ops if o.verb.endswith("delete")]
    deletes.sort(key=lambda o: o.resource == "customers")
    return [o for o in ops if not o.verb.endswith("delete")] + deletes


@pytest.fixture
def seeded_api(seeded_url: str) -> Iterator[httpx.Client]:
    """A client of a seeded sandbox."""
    with httpx.Client(base_url=seeded_url + "/api", headers={"authtoken": TOKEN}) as client:
        yield client


def test_catalogue_is_filled() -> None:
    """The catalogue covers every resource the sandbox serves."""
    from bridge.sandbox.resources import RESOURCES

    resources = {op.resource for op in OPERATIONS.values()}
    assert set(RESOURCES) <= resources


def test_every_catalogue_operation_is_served(seeded_api: httpx.Client) -> None:
    """Each operation, well formed, gets a successful JSON answer from the sandbox."""
    failures = []
    for op in _ordered():
        response = seeded_api.request(**_request(op))
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if not is_json or response.status_code >= 400:
            failures.append(
                f"{op.name} {op.method} {op.path}: {response.status_code} {response.text[:200]}"
            )
    assert failures == []
