"""Every resource round-trips through the API: create, get, search, list, update, delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import make_record

ITEM = {
    "newitems[0][description]": "Consulting",
    "newitems[0][long_description]": "Hourly",
    "newitems[0][qty]": "2",
    "newitems[0][rate]": "150",
}


@dataclass
class Case:
    """How one resource is created, found, changed and removed."""

    name: str
    create: dict[str, Any]
    keyword: str
    change: tuple[str, str]
    created_message: str
    id_key: str = "id"
    update_extra: dict[str, Any] = field(default_factory=dict)
    update_path: str = "/{name}/{id}"
    delete_path: str = "/delete/{name}/{id}"
    update_status: bool = True
    get_list: bool = False
    search_paged: bool = False
    status_key: str = "status"
    can_update: bool = True


CASES = [
    Case(
        "customers",
        {"company": "Initech"},
        "Initech",
        ("company", "Initech Global"),
        "Customer add successful.",
        id_key="userid",
    ),
    Case(
        "leads",
        {"name": "Bill Lumbergh", "source": "1", "status": "1", "assigned": "1"},
        "Lumbergh",
        ("name", "Bill L."),
        "Lead add successful.",
        update_extra={"source": "1", "status": "2", "assigned": "1"},
    ),
    Case(
        "tasks",
        {
            "name": "TPS reports",
            "startdate": "2026-11-01",
            "rel_type": "project",
            "rel_id": "1",
            "assignees[]": ["1", "2"],
        },
        "TPS",
        ("name", "TPS reports v2"),
        "Task add successful.",
    ),
    Case(
        "tickets",
        {"subject": "Stapler missing", "department": "1", "contactid": "1", "userid": "1"},
        "Stapler",
        ("subject", "Red stapler missing"),
        "Ticket add successful.",
        update_extra={"department": "1", "contactid": "1", "userid": "1", "priority": "3"},
        search_paged=True,
    ),
    Case(
        "invoices",
        {
            "clientid": "1",
            "number": "101",
            "date": "2026-11-01",
            "currency": "1",
            "subtotal": "300",
            "total": "300",
            "billing_street": "1 Main St",
            "allowed_payment_modes[]": ["1", "2"],
            **ITEM,
        },
        "Main St",
        ("adminnote", "paid by wire"),
        "Invoice Added Successfully",
        update_extra={
            "clientid": "1",
            "number": "101",
            "date": "2026-11-01",
            "currency": "1",
            "subtotal": "300",
            "total": "300",
        },
        delete_path="/{name}/{id}",
        update_status=False,
    ),
    Case(
        "estimates",
        {
            "clientid": "1",
            "number": "55",
            "date": "2026-11-01",
            "currency": "1",
            "subtotal": "300",
            "total": "300",
            "adminnote": "first draft",
            **ITEM,
        },
        "first draft",
        ("adminnote", "second draft"),
        "Estimates Added Successfully",
        update_extra={
            "clientid": "1",
            "number": "55",
            "date": "2026-11-01",
            "currency": "1",
            "subtotal": "300",
            "total": "300",
        },
        delete_path="/{name}/{id}",
        update_status=False,
    ),
    Case(
        "credit_notes",
        {
            "clientid": "1",
            "date": "2026-11-01",
            "number": "9",
            "currency": "1",
            "subtotal": "50",
            "total": "50",
            "clientnote": "refund",
            **ITEM,
        },
        "refund",
        ("clientnote", "partial refund"),
        "Credit Note Added Successfully",
        update_extra={
            "clientid": "1",
            "date": "2026-11-01",
            "number": "9",
            "currency": "1",
            "subtotal": "50",
            "total": "50",
        },
        update_path="/{name}",
        delete_path="/{name}/{id}",
    ),
    Case(
        "contracts",
        {"subject": "Maintenance", "datestart": "2026-11-01", "client": "1"},
        "Maintenance",
        ("subject", "Maintenance 2027"),
        "Contract Added Successfully",
        update_extra={"datestart": "2026-11-01", "client": "1"},
        delete_path="/{name}/{id}",
    ),
    Case(
        "expenses",
        {
            "category": "1",
            "amount": "49.9",
            "date": "2026-11-01",
            "currency": "1",
            "expense_name": "Cloud hosting",
        },
        "Cloud",
        ("expense_name", "Cloud hosting (EU)"),
        "Expense Added Successfully",
        update_extra={"category": "1", "amount": "49.9", "date": "2026-11-01", "currency": "1"},
        update_path="/{name}",
        delete_path="/{name}/{id}",
        get_list=True,
    ),
    Case(
        "items",
        {"description": "Red stapler", "rate": "12.5", "unit": "pcs"},
        "stapler",
        ("description", "Blue stapler"),
        "Item created successfully",
        search_paged=True,
    ),
    Case(
        "milestones",
        {"project_id": "1", "name": "Kick-off", "due_date": "2026-12-01"},
        "Kick-off",
        ("name", "Kick-off meeting"),
        "Milestone add successful.",
        update_extra={"project_id": "1", "due_date": "2026-12-01"},
    ),
    Case(
        "projects",
        {
            "name": "Relaunch",
            "rel_type": "customer",
            "clientid": "1",
            "billing_type": "1",
            "start_date": "2026-11-01",
            "status": "2",
        },
        "Relaunch",
        ("name", "Relaunch 2"),
        "Project add successful.",
        update_extra={
            "rel_type": "customer",
            "clientid": "1",
            "billing_type": "1",
            "start_date": "2026-11-01",
            "status": "2",
        },
    ),
    Case(
        "proposals",
        {
            "subject": "Offer",
            "rel_type": "customer",
            "rel_id": "1",
            "proposal_to": "Acme",
            "date": "2026-11-01",
            "currency": "1",
            "email": "buyer@acme.example",
            **ITEM,
        },
        "Offer",
        ("subject", "Better offer"),
        "Proposal add successful.",
        update_extra={
            "rel_id": "1",
            "proposal_to": "Acme",
            "date": "2026-11-01",
            "currency": "1",
            "email": "buyer@acme.example",
        },
        update_path="/proposal/{id}",
        delete_path="/{name}/{id}",
        update_status=False,
    ),
    Case(
        "staffs",
        {"firstname": "Milton", "email": "milton@initech.example", "password": "s3cret"},
        "Milton",
        ("firstname", "Milton W."),
        "Staff add successful.",
        id_key="staffid",
        update_extra={"email": "milton@initech.example", "password": "s3cret"},
    ),
    Case(
        "subscriptions",
        {"name": "Monthly care", "clientid": "1", "currency": "1"},
        "care",
        ("name", "Monthly care plus"),
        "Data Added Successfully",
        delete_path="/{name}/{id}",
        get_list=True,
    ),
    Case(
        "timesheets",
        {"task_id": "1", "start_time": "10:00:00", "end_time": "11:00:00", "note": "standup"},
        "standup",
        ("note", "long standup"),
        "Data Added Successfully",
        delete_path="/{name}/{id}",
        get_list=True,
    ),
    Case(
        "calendar",
        {
            "title": "Review",
            "start": "2026-11-02 10:00:00",
            "reminder_before_type": "minutes",
            "reminder_before": "30",
            "userid": "1",
            "isstartnotified": "0",
            "public": "1",
        },
        "Review",
        ("title", "Quarterly review"),
        "Data Added Successfully",
        id_key="eventid",
        delete_path="/{name}/{id}",
        get_list=True,
    ),
]


def _rows(body: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = body["data"] if isinstance(body, dict) else body
    return rows


def _find(api: httpx.Client, case: Case, keyword: str) -> dict[str, Any]:
    response = api.get(f"/{case.name}/search/{keyword}")
    assert response.status_code == 200, response.text
    rows = _rows(response.json())
    assert len(rows) == 1
    return rows[0]


def _one(response: httpx.Response, case: Case) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    if case.get_list:
        assert isinstance(body, list) and len(body) == 1
        body = body[0]
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_round_trip(api: httpx.Client, control: httpx.Client, case: Case) -> None:
    """Create answers the reference's message; get/search/list see it; update; delete."""
    make_record(control, "customers", company="Acme")
    make_record(control, "tasks", name="host task", startdate="2026-11-01")
    created = api.post(f"/{case.name}", data=case.create)
    assert created.status_code == 200, created.text
    assert created.json()["status"] is True
    assert created.json()["message"] == case.created_message

    found = _find(api, case, case.keyword)
    rid = found[case.id_key]
    assert isinstance(rid, str) and rid.isdigit()
    record = _one(api.get(f"/{case.name}/{rid}"), case)
    assert record[case.id_key] == rid
    listed = api.get(f"/{case.name}")
    assert listed.status_code == 200
    assert rid in [r[case.id_key] for r in _rows(listed.json())]

    column, value = case.change
    form = {column: value, **case.update_extra}
    if "{id}" not in case.update_path:
        form["id"] = rid
    path = case.update_path.format(name=case.name, id=rid)
    updated = api.put(path, data=form)
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] is case.update_status
    assert _one(api.get(f"/{case.name}/{rid}"), case)[column] == value

    deleted = api.delete(case.delete_path.format(name=case.name, id=rid))
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["status"] is True
    gone = api.get(f"/{case.name}/{rid}")
    assert gone.status_code == 404
    assert gone.json() == {"status": False, "message": "No data were found"}
    again = api.delete(case.delete_path.format(name=case.name, id=rid))
    assert again.status_code == 404
    assert again.json()["status"] is False


def test_records_are_php_strings(api: httpx.Client) -> None:
    """Values come back as MySQL strings: ids, flags, decimals with two places."""
    api.post("/customers", data={"company": "Initech"})
    record = api.get("/customers/1").json()
    assert record["userid"] == "1"
    assert record["active"] == "1"
    assert record["leadid"] is None
    api.post("/items", data={"description": "Pen", "rate": "3"})
    item = api.get("/items/1").json()
    assert item["rate"] == "3.00"


def test_invoice_items_and_payment_modes(api: httpx.Client, control: httpx.Client) -> None:
    """newitems rows become the invoice's items; allowed_payment_modes[] is kept serialized."""
    make_record(control, "customers", company="Acme")
    case = CASES[4]
    api.post("/invoices", data=case.create)
    invoice = api.get("/invoices/1").json()
    assert invoice["items"][0]["description"] == "Consulting"
    assert invoice["items"][0]["qty"] == "2.00"
    assert invoice["items"][0]["rel_type"] == "invoice"
    assert invoice["allowed_payment_modes"] == 'a:2:{i:0;s:1:"1";i:1;s:1:"2";}'
    assert invoice["client"]["company"] == "Acme"
    item_id = invoice["items"][0]["id"]
    api.put(
        "/invoices/1",
        data={
            **case.update_extra,
            "removed_items[]": [item_id],
            "newitems[0][description]": "Support",
            "newitems[0][qty]": "1",
            "newitems[0][rate]": "80",
        },
    )
    items = api.get("/invoices/1").json()["items"]
    assert [i["description"] for i in items] == ["Support"]


def test_item_create_returns_its_id(api: httpx.Client) -> None:
    """POST /items answers item_id, the only plain create that does."""
    body = api.post("/items", data={"description": "Pen", "rate": "3"}).json()
    assert body == {"status": True, "message": "Item created successfully", "item_id": 1}


def test_payments_use_paymentmode_as_status(api: httpx.Client, control: httpx.Client) -> None:
    """Payments answer {"paymentmode": true} and list/search/get as the reference shows."""
    make_record(control, "customers", company="Acme")
    make_record(control, "invoices", clientid="1", number="1", date="2026-11-01", total="100")
    created = api.post("/payments", data={"invoiceid": "1", "amount": "40", "paymentmode": "1"})
    assert created.json() == {"paymentmode": True, "message": "Payment add successful."}
    assert api.get("/payments/1").json()["amount"] == "40.00"
    assert api.get("/invoices/1").json()["total_left_to_pay"] == "60.00"
    assert len(api.get("/payments").json()) == 1
    missing = api.post("/payments", data={"invoiceid": "99", "amount": "1", "paymentmode": "1"})
    assert missing.status_code == 404
    assert missing.json() == {"paymentmode": False, "message": "Payment add fail."}
    assert api.get("/payments/search/nothing-like-this").json()["paymentmode"] is False


def test_contacts_round_trip(api: httpx.Client, control: httpx.Client) -> None:
    """Contacts are listed per customer, searched, updated and deleted."""
    customer = make_record(control, "customers", company="Acme")
    form = {
        "customer_id": customer["userid"],
        "firstname": "Peter",
        "lastname": "Gibbons",
        "email": "peter@initech.example",
    }
    created = api.post("/contacts", data=form)
    assert created.json() == {"status": True, "message": "Contact added successfully"}
    contacts = api.get(f"/contacts/{customer['userid']}").json()
    assert [c["email"] for c in contacts] == ["peter@initech.example"]
    cid = contacts[0]["id"]
    one = api.get(f"/contacts/{customer['userid']}/{cid}").json()
    assert one["firstname"] == "Peter"
    assert one["userid"] == customer["userid"]
    assert api.get("/contacts/search/Gibbons").json()[0]["id"] == cid
    updated = api.put(f"/contacts/{cid}", data={**form, "firstname": "Pete"})
    assert updated.json() == {"status": True, "message": "Contact Updated Successfully"}
    deleted = api.delete(f"/delete/contacts/{cid}")
    assert deleted.json() == {"status": True, "message": "Contact Deleted Successfully"}
    assert api.get(f"/contacts/{customer['userid']}/{cid}").status_code == 404


def test_duplicate_contact_email_is_409(api: httpx.Client, control: httpx.Client) -> None:
    """A second contact with the same email gets the reference's 409 answer."""
    make_record(control, "customers", company="Acme")
    form = {"customer_id": "1", "firstname": "A", "lastname": "B", "email": "a@b.example"}
    assert api.post("/contacts", data=form).status_code == 200
    again = api.post("/contacts", data={**form, "email": "A@b.example"})
    assert again.status_code == 409
    assert again.json() == {
        "status": False,
        "error": {"email": "This Email is already exists"},
        "message": "This Email is already exists",
    }


def test_missing_mandatory_fields_fail_validation(api: httpx.Client) -> None:
    """Missing mandatory fields: 404 with the error per field and validation_errors()."""
    response = api.post("/leads", data={"name": "Only a name"})
    assert response.status_code == 404
    body = response.json()
    assert body["status"] is False
    assert body["error"] == {
        "source": "The Source field is required.",
        "status": "The Status field is required.",
        "assigned": "The Assigned field is required.",
    }
    assert "<p>The Source field is required.</p>" in body["message"]


def test_duplicate_invoice_number_is_refused(api: httpx.Client, control: httpx.Client) -> None:
    """An invoice number already in use fails validation with the reference's text."""
    make_record(control, "customers", company="Acme")
    assert api.post("/invoices", data=CASES[4].create).status_code == 200
    again = api.post("/invoices", data=CASES[4].create)
    assert again.status_code == 404
    assert again.json()["error"] == {"number": "The Invoice number is already in use"}


def test_unknown_expense_category_is_refused(api: httpx.Client) -> None:
    """An expense in a category that does not exist is refused."""
    form = {"category": "99", "amount": "5", "date": "2026-11-01", "currency": "1"}
    response = api.post("/expenses", data=form)
    assert response.status_code == 404
    assert response.json()["error"] == {"category": "The Expense Category is not found."}


def test_empty_subscription_is_not_added(api: httpx.Client) -> None:
    """A subscription post without data answers 400 {"error": "Data not Added"}."""
    response = api.post("/subscriptions", data={})
    assert response.status_code == 400
    assert response.json() == {"status": False, "error": "Data not Added"}


def test_update_of_missing_record_fails(api: httpx.Client) -> None:
    """Updating a record that does not exist answers 404 with the update-fail message."""
    response = api.put("/customers/42", data={"company": "Ghost"})
    assert response.status_code == 404
    assert response.json() == {"status": False, "message": "Customer Update Fail."}


def test_search_without_hits_is_404(api: httpx.Client) -> None:
    """A search that finds nothing answers 404 No data were found."""
    response = api.get("/leads/search/nobody")
    assert response.status_code == 404
    assert response.json() == {"status": False, "message": "No data were found"}


def test_tickets_list_is_paged(api: httpx.Client, control: httpx.Client) -> None:
    """GET /tickets answers pages with the v3 module's meta; per_page is capped at 100."""
    control.post("/records/tickets", json=[{"subject": f"T{i}"} for i in range(25)])
    first = api.get("/tickets").json()
    assert len(first["data"]) == 20
    assert first["meta"] == {
        "page": 1,
        "current_page": 1,
        "per_page": 20,
        "total": 25,
        "total_pages": 2,
        "last_page": 2,
        "has_more": True,
    }
    second = api.get("/tickets", params={"page": 2}).json()
    assert len(second["data"]) == 5
    assert api.get("/tickets", params={"per_page": 500}).json()["meta"]["per_page"] == 100


def test_unknown_path_is_codeigniter_404(api: httpx.Client) -> None:
    """A path no controller serves gets CodeIgniter's HTML 404 page."""
    response = api.get("/no_such_thing/1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "404 Page Not Found" in response.text


def test_multipart_forms_are_parsed(api: httpx.Client) -> None:
    """A multipart body (how the reference sends data) is read like an urlencoded one."""
    response = api.post(
        "/leads",
        data={
            "name": "Multi Part",
            "source": "1",
            "status": "1",
            "assigned": "1",
            "custom_fields[leads][4]": "5000",
        },
        files={"attachment": ("card.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 200, response.text
    lead = api.get("/leads/1").json()
    assert lead["name"] == "Multi Part"
    assert {"label": "Budget", "value": "5000"} in lead["customfields"]
    updated = api.put(
        "/leads/1",
        data={"name": "Multi Part 2", "source": "1", "status": "2", "assigned": "1"},
        files={"attachment": ("card.txt", b"hello", "text/plain")},
    )
    assert updated.status_code == 200, updated.text
    assert api.get("/leads/1").json()["status"] == "2"


def test_json_bodies_are_accepted(api: httpx.Client) -> None:
    """A JSON body works too (the module's REST controller parses it)."""
    response = api.post("/customers", json={"company": "Json Inc", "city": "Oslo"})
    assert response.status_code == 200
    assert api.get("/customers/1").json()["city"] == "Oslo"


def test_passwords_are_stored_as_hashes(api: httpx.Client) -> None:
    """A staff password never comes back as sent, on create or on update."""
    form = {"firstname": "Sam", "email": "sam@example.com", "password": "plain-secret"}
    api.post("/staffs", data=form)
    created = api.get("/staffs/1").json()["password"]
    assert created.startswith("$2a$08$")
    assert "plain-secret" not in created
    api.put("/staffs/1", data={**form, "password": "other-secret"})
    updated = api.get("/staffs/1").json()["password"]
    assert updated.startswith("$2a$08$")
    assert updated != created
