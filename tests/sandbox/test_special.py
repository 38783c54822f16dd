"""Checklists, ticket replies, custom tables, custom fields and the common lists."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import make_record


def test_checklist_round_trip(api: httpx.Client, control: httpx.Client) -> None:
    """Checklist items are added (id returned), listed in order, updated and deleted."""
    task = make_record(control, "tasks", name="Host")
    base = f"/tasks/{task['id']}/checklist"
    first = api.post(base, data={"description": "Write agenda"}).json()
    assert first == {
        "status": True,
        "message": "Checklist item added successfully",
        "checklist_item_id": 1,
    }
    api.post(base, data={"description": "Book room", "assigned": "2"})
    items = api.get(base).json()
    assert [(i["description"], i["list_order"]) for i in items] == [
        ("Write agenda", "1"),
        ("Book room", "2"),
    ]
    assert items[1]["assigned"] == "2"
    assert items[0]["finished"] == "0"
    updated = api.put(f"/tasks/{task['id']}/checklist/1", data={"finished": "1"})
    assert updated.json() == {"status": True, "message": "Checklist item updated successfully"}
    assert api.get(base).json()[0]["finished"] == "1"
    deleted = api.delete(f"/tasks/{task['id']}/checklist/1")
    assert deleted.json() == {"status": True, "message": "Checklist item deleted successfully"}
    assert [i["id"] for i in api.get(base).json()] == ["2"]


def test_checklist_failures(api: httpx.Client, control: httpx.Client) -> None:
    """No description: 400; unknown task or item: 404 with the reference's messages."""
    task = make_record(control, "tasks", name="Host")
    no_text = api.post(f"/tasks/{task['id']}/checklist", data={"assigned": "1"})
    assert no_text.status_code == 400
    assert no_text.json() == {"status": False, "message": "Description is required"}
    empty = api.get(f"/tasks/{task['id']}/checklist")
    assert empty.status_code == 404
    assert empty.json() == {"status": False, "message": "Task not found or no checklist items"}
    assert api.post("/tasks/999/checklist", data={"description": "x"}).status_code == 404
    assert api.put(f"/tasks/{task['id']}/checklist/77", data={"finished": "1"}).status_code == 404


def test_ticket_reply(api: httpx.Client, control: httpx.Client) -> None:
    """A reply returns its id and moves the ticket to the status the reply implies."""
    ticket = make_record(control, "tickets", subject="Broken", userid="1", contactid="1")
    reply = api.post(
        f"/tickets/reply/{ticket['id']}",
        data={"message": "On it", "admin": "1"},
        files={"file": ("log.txt", b"trace", "text/plain")},
    )
    assert reply.json() == {
        "status": True,
        "message": "Ticket Reply Added Successful.",
        "reply_id": 1,
    }
    assert api.get(f"/tickets/{ticket['id']}").json()["status"] == "3"
    stored = control.get("/records/ticket_replies").json()
    assert stored[0]["message"] == "On it"
    assert stored[0]["ticketid"] == ticket["id"]
    customer = api.post(f"/tickets/reply/{ticket['id']}", data={"message": "Thanks"})
    assert customer.json()["reply_id"] == 2
    assert api.get(f"/tickets/{ticket['id']}").json()["status"] == "1"


def test_ticket_reply_failures(api: httpx.Client, control: httpx.Client) -> None:
    """A reply to no ticket fails; a reply without a message fails validation."""
    missing = api.post("/tickets/reply/404", data={"message": "hello"})
    assert missing.status_code == 404
    assert missing.json() == {"status": False, "message": "Ticket Reply Fail."}
    ticket = make_record(control, "tickets", subject="Broken")
    empty = api.post(f"/tickets/reply/{ticket['id']}", data={"admin": "1"})
    assert empty.status_code == 404
    assert empty.json()["error"] == {"message": "The Message field is required."}


def test_customtable_round_trip(api: httpx.Client, control: httpx.Client) -> None:
    """Custom table rows are inserted (201 + id), read, updated and deleted with JSON."""
    declared = control.post("/customtables/shoes", json={"columns": ["size", "winter"]})
    assert declared.status_code == 201
    base = "/thirdparty/customtable/shoes"
    created = api.post(base, json={"size": 39, "winter": "yes"})
    assert created.status_code == 201
    assert created.json() == {"status": True, "message": "Record created successfully", "id": 1}
    assert api.get(f"{base}/1").json() == {"id": "1", "size": "39", "winter": "yes"}
    updated = api.put(f"{base}/1", json={"size": 41})
    assert updated.json() == {"status": True, "message": "Record updated successfully"}
    assert api.get(base).json() == [{"id": "1", "size": "41", "winter": "yes"}]
    deleted = api.delete(f"{base}/1")
    assert deleted.json() == {"status": True, "message": "Record deleted successfully"}
    gone = api.get(f"{base}/1")
    assert gone.status_code == 404
    assert gone.json() == {"status": False, "message": "Record not found"}


def test_customtable_failures(api: httpx.Client, control: httpx.Client) -> None:
    """Unknown tables, unknown columns and missing rows fail as the reference shows."""
    missing = api.get("/thirdparty/customtable/giorgos")
    assert missing.status_code == 404
    assert missing.json() == {"status": False, "message": "Table 'giorgos' does not exist"}
    control.post("/customtables/george", json={"columns": ["size"]})
    bad = api.post("/thirdparty/customtable/george", json={"invalid_column": 1})
    assert bad.status_code == 400
    assert bad.json() == {
        "status": False,
        "message": "Column 'invalid_column' does not exist in table 'george'",
    }
    assert api.put("/thirdparty/customtable/george/9", json={"size": 1}).status_code == 404
    assert api.delete("/thirdparty/customtable/george/9").status_code == 404


def test_custom_fields_are_stored_and_returned(api: httpx.Client, control: httpx.Client) -> None:
    """custom_fields[invoice][id] values come back as label/value and per field."""
    make_record(control, "customers", company="Acme")
    form = {
        "clientid": "1",
        "number": "7",
        "date": "2026-11-01",
        "currency": "1",
        "subtotal": "5",
        "total": "5",
        "billing_street": "x",
        "allowed_payment_modes[]": "1",
        "newitems[0][description]": "a",
        "custom_fields[invoice][1]": "PO-77",
        "custom_fields[invoice][2]": "12",
    }
    assert api.post("/invoices", data=form).status_code == 200
    invoice = api.get("/invoices/1").json()
    assert invoice["customfields"] == [
        {"label": "Input 1", "value": "PO-77"},
        {"label": "Number 1", "value": "12"},
        {"label": "Select 1", "value": ""},
    ]
    values = api.get("/custom_fields/Invoice/1").json()
    assert values[0] == {
        "field_name": "custom_fields[invoice][1]",
        "custom_field_id": "1",
        "label": "Input 1",
        "required": "0",
        "type": "input",
        "value": "PO-77",
    }
    assert values[2]["options"] == '["Option 1","Option 2","Option 3"]'
    update = {
        "clientid": "1",
        "number": "7",
        "date": "2026-11-01",
        "currency": "1",
        "subtotal": "5",
        "total": "5",
        "custom_fields[invoice][1]": "",
    }
    api.put("/invoices/1", data=update)
    assert api.get("/invoices/1").json()["customfields"][0] == {"label": "Input 1", "value": ""}


def test_multiselect_custom_field_joins_values(api: httpx.Client) -> None:
    """A multi-value custom field reads back as "a, b" in customfields."""
    api.post(
        "/leads",
        data={
            "name": "Multi",
            "source": "1",
            "status": "1",
            "assigned": "1",
            "custom_fields[leads][5][]": ["Option 1", "Option 3"],
        },
    )
    fields = api.get("/leads/1").json()["customfields"]
    assert {"label": "Interests", "value": "Option 1, Option 3"} in fields


def test_custom_fields_of_unknown_kind_are_404(api: httpx.Client) -> None:
    """A belongs-to with no fields, or a record that does not exist, answers 404."""
    assert api.get("/custom_fields/Spaceships").status_code == 404
    assert api.get("/custom_fields/Leads/999").status_code == 404
    assert len(api.get("/custom_fields/Leads").json()) == 2


def test_common_lists(api: httpx.Client) -> None:
    """common/{type} lists expense categories, payment modes and taxes; others fail."""
    categories = api.get("/common/expense_category").json()
    assert categories[0] == {"id": "1", "name": "Hosting", "description": "Servers and domains"}
    modes = api.get("/common/payment_mode").json()
    assert modes[0]["name"] == "Bank"
    assert modes[0]["selected_by_default"] == "1"
    taxes = api.get("/common/tax_data").json()
    assert {"id": "3", "name": "GST", "taxrate": "18.00"} in taxes
    other = api.get("/common/planets")
    assert other.status_code == 404
    assert other.json() == {"status": False, "message": "Not valid data"}


def test_deleting_a_customer_removes_its_contacts(api: httpx.Client, control: httpx.Client) -> None:
    """A customer deleted through the API takes its contacts with it."""
    customer = make_record(control, "customers", company="Acme")
    make_record(
        control, "contacts", userid=customer["userid"], firstname="A", email="a@acme.example"
    )
    assert api.delete(f"/delete/customers/{customer['userid']}").status_code == 200
    assert control.get("/records/contacts").json() == []


def test_seeded_sandbox_has_every_resource(seeded_url: str) -> None:
    """seed=True gives a few realistic records of each resource."""
    from bridge.sandbox.resources import RESOURCES
    from tests.sandbox.conftest import TOKEN

    with httpx.Client(base_url=seeded_url + "/api", headers={"authtoken": TOKEN}) as api:
        for name in RESOURCES:
            if name == "contacts":
                assert api.get("/contacts/1").status_code == 200
                continue
            response = api.get(f"/{name}/1")
            assert response.status_code == 200, name
        assert api.get("/thirdparty/customtable/custom_shoes").status_code == 200
        assert api.get("/tasks/1/checklist").status_code == 200
