"""What a fresh sandbox holds: Perfex's setup lists always, demo records with `seed`.

The setup lists (expense categories, payment modes, taxes, custom field definitions) are
configuration in a real install, so they exist even in an unseeded sandbox.
"""

from __future__ import annotations

import logging
from typing import Any

from bridge.sandbox.clock import SandboxClock
from bridge.sandbox.customtable import declare
from bridge.sandbox.direct import insert
from bridge.sandbox.records import CUSTOMFIELDS
from bridge.sandbox.store import Store

logger = logging.getLogger("bridge.sandbox.seed")

_OPTIONS = '["Option 1","Option 2","Option 3"]'

#: (fieldto slug, label, type, options) of the custom fields every sandbox defines.
CUSTOM_FIELDS: list[tuple[str, str, str, str | None]] = [
    ("invoice", "Input 1", "input", None),
    ("invoice", "Number 1", "number", None),
    ("invoice", "Select 1", "select", _OPTIONS),
    ("leads", "Budget", "input", None),
    ("leads", "Interests", "multiselect", _OPTIONS),
    ("customers", "Account Manager", "input", None),
    ("contacts", "Birthday", "date_picker", None),
    ("tickets", "Order Number", "input", None),
    ("tasks", "Estimate Hours", "number", None),
    ("projects", "Project Code", "input", None),
    ("estimate", "Input 1", "input", None),
    ("proposal", "Custom Field", "input", None),
    ("items", "Input 1", "input", None),
    ("staff", "Team", "input", None),
    ("contracts", "Signer", "input", None),
    ("expenses", "Receipt Number", "input", None),
    ("credit_note", "Reason", "textarea", None),
]


def install_setup(store: Store, clock: SandboxClock) -> None:
    """The lists Perfex is configured with: categories, payment modes, taxes, fields."""
    for name, description in [("Hosting", "Servers and domains"), ("Travel", "Trips")]:
        insert(store, clock, "expense_categories", {"name": name, "description": description})
    for name, default in [("Bank", "1"), ("Paypal", "0"), ("Stripe", "0")]:
        insert(
            store,
            clock,
            "payment_modes",
            {
                "name": name,
                "description": None,
                "show_on_pdf": "0",
                "invoices_only": "0",
                "expenses_only": "0",
                "selected_by_default": default,
                "active": "1",
            },
        )
    for name, rate in [("CGST", "9.00"), ("SGST", "9.00"), ("GST", "18.00"), ("VAT", "20.00")]:
        insert(store, clock, "taxes", {"name": name, "taxrate": rate})
    for slug, label, kind, options in CUSTOM_FIELDS:
        field: dict[str, Any] = {
            "fieldto": slug,
            "name": label,
            "slug": f"{slug}_{label.lower().replace(' ', '_')}",
            "type": kind,
            "required": "0",
            "active": "1",
            "options": options,
        }
        insert(store, clock, CUSTOMFIELDS, field)


def install_demo(store: Store, clock: SandboxClock) -> None:
    """A few realistic records of every resource, created "now" on the sandbox clock."""
    day = clock.date_str()
    acme = insert(
        store,
        clock,
        "customers",
        {
            "company": "Acme Ltd",
            "phonenumber": "+44 20 7946 0000",
            "city": "London",
            "country": "235",
            "website": "https://acme.example",
            "vat": "GB123456789",
        },
    )
    insert(store, clock, "customers", {"company": "Globex GmbH", "city": "Berlin", "country": "82"})
    cid = acme["userid"]
    insert(
        store,
        clock,
        "contacts",
        {
            "userid": cid,
            "firstname": "Ada",
            "lastname": "Lovelace",
            "email": "ada@acme.example",
            "is_primary": "1",
            "title": "CTO",
        },
    )
    insert(
        store,
        clock,
        "staffs",
        {"firstname": "Sam", "lastname": "Support", "email": "sam@crm.example", "admin": "1"},
    )
    insert(
        store,
        clock,
        "leads",
        {
            "name": "Grace Hopper",
            "company": "Navy Labs",
            "email": "grace@navy.example",
            "source": "2",
            "status": "1",
            "assigned": "1",
        },
    )
    insert(
        store,
        clock,
        "leads",
        {
            "name": "Spam Bot",
            "email": "bot@spam.example",
            "source": "1",
            "status": "1",
            "assigned": "1",
            "junk": "1",
        },
    )
    project = insert(
        store,
        clock,
        "projects",
        {
            "name": "Website relaunch",
            "clientid": cid,
            "rel_type": "customer",
            "billing_type": "1",
            "start_date": day,
            "status": "2",
        },
    )
    insert(
        store,
        clock,
        "milestones",
        {"project_id": project["id"], "name": "Design done", "due_date": day},
    )
    task = insert(
        store,
        clock,
        "tasks",
        {
            "name": "Call Acme about the relaunch",
            "startdate": day,
            "rel_type": "project",
            "rel_id": project["id"],
            "assignees": ["1"],
        },
    )
    insert(
        store,
        clock,
        "task_checklist_items",
        {
            "taskid": task["id"],
            "description": "Prepare agenda",
            "finished": "0",
            "dateadded": clock.datetime_str(),
            "addedfrom": "1",
            "finished_from": "0",
            "list_order": "1",
            "assigned": "1",
        },
    )
    insert(
        store,
        clock,
        "tickets",
        {
            "subject": "Cannot log in",
            "department": "1",
            "contactid": "1",
            "userid": cid,
            "priority": "2",
            "message": "The portal says my password is wrong.",
        },
    )
    item = {
        "description": "Consulting",
        "long_description": "Hourly consulting",
        "qty": "2",
        "rate": "150",
        "unit": "h",
    }
    invoice = insert(
        store,
        clock,
        "invoices",
        {
            "clientid": cid,
            "number": "1",
            "date": day,
            "duedate": day,
            "currency": "1",
            "subtotal": "300",
            "total": "300",
            "billing_street": "1 Acme Way",
            "newitems": [item],
            "custom_fields": {"invoice": {"1": "PO-1001"}},
        },
    )
    insert(
        store,
        clock,
        "estimates",
        {
            "clientid": cid,
            "number": "1",
            "date": day,
            "currency": "1",
            "subtotal": "300",
            "total": "300",
            "newitems": [item],
        },
    )
    insert(
        store,
        clock,
        "credit_notes",
        {
            "clientid": cid,
            "number": "1",
            "date": day,
            "currency": "1",
            "subtotal": "50",
            "total": "50",
            "newitems": [item],
        },
    )
    insert(
        store,
        clock,
        "proposals",
        {
            "subject": "Relaunch offer",
            "rel_type": "customer",
            "rel_id": cid,
            "proposal_to": "Acme Ltd",
            "date": day,
            "currency": "1",
            "email": "ada@acme.example",
            "newitems": [item],
        },
    )
    insert(
        store,
        clock,
        "contracts",
        {"subject": "Support contract", "client": cid, "datestart": day, "contract_value": "1200"},
    )
    insert(
        store,
        clock,
        "expenses",
        {
            "category": "1",
            "amount": "49.90",
            "date": day,
            "currency": "1",
            "expense_name": "Cloud hosting",
        },
    )
    insert(store, clock, "items", {"description": "Consulting hour", "rate": "150", "unit": "h"})
    insert(
        store,
        clock,
        "payments",
        {"invoiceid": invoice["id"], "amount": "100", "paymentmode": "1", "date": day},
    )
    insert(
        store,
        clock,
        "subscriptions",
        {
            "name": "Monthly support",
            "clientid": cid,
            "date": day,
            "currency": "1",
            "status": "active",
        },
    )
    insert(
        store,
        clock,
        "timesheets",
        {
            "task_id": task["id"],
            "start_time": "10:00:00",
            "end_time": "12:00:00",
            "staff_id": "1",
            "note": "Kick-off call",
        },
    )
    insert(
        store,
        clock,
        "calendar",
        {"title": "Acme review", "start": clock.datetime_str(), "userid": "1", "public": "1"},
    )
    declare(store, "custom_shoes", ["shoenumber", "winter"])
    insert(store, clock, "customtable:custom_shoes", {"shoenumber": "39", "winter": "40"})
    logger.info("sandbox seeded with demo records")
