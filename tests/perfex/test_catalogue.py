"""The catalogue holds every endpoint of the Perfex API reference, named by convention."""

from __future__ import annotations

import re

import pytest

from bridge.exceptions import UnknownAction
from bridge.perfex.catalogue import (
    OPERATIONS,
    SPECIAL_VERBS,
    VERBS,
    get_operation,
    missing_fields,
)

#: Every `METHOD yourdomain.com/api/...` line of perfex-api-reference.txt (without /N/A).
REFERENCE = [
    "GET yourdomain.com/api/zapier/resources",
    "GET yourdomain.com/api/zapier/poll/{resource}",
    "GET yourdomain.com/api/zapier/test/{resource}",
    "GET yourdomain.com/api/zapier/{method}/{resource}",
    "POST yourdomain.com/api/calendar/",
    "DELETE yourdomain.com/api/calendar/:id",
    "GET yourdomain.com/api/calendar/",
    "GET yourdomain.com/api/calendar/:id",
    "PUT yourdomain.com/api/calendar/:id",
    "GET yourdomain.com/api/common/{type}",
    "POST yourdomain.com/api/contacts/",
    "DELETE yourdomain.com/api/delete/contacts/:id",
    "GET yourdomain.com/api/contacts/:customer_id/:contact_id",
    "GET yourdomain.com/api/contacts/search/:keysearch",
    "PUT yourdomain.com/api/contacts/:id",
    "POST yourdomain.com/api/contracts",
    "DELETE yourdomain.com/api/contracts/:id",
    "GET yourdomain.com/api/contracts/:id",
    "POST yourdomain.com/api/credit_notes",
    "DELETE yourdomain.com/api/credit_notes/:id",
    "GET yourdomain.com/api/credit_notes/:id",
    "GET yourdomain.com/api/credit_notes/search/:keysearch",
    "PUT yourdomain.com/api/credit_notes",
    "GET yourdomain.com/api/custom_fields/:FieldBelongsto/:id",
    "POST yourdomain.com/api/customers",
    "DELETE yourdomain.com/api/delete/customers/:id",
    "GET yourdomain.com/api/customers/:id",
    "GET yourdomain.com/api/customers/search/:keysearch",
    "PUT yourdomain.com/api/customers/:id",
    "POST yourdomain.com/api/estimates",
    "DELETE yourdomain.com/api/estimates/:id",
    "GET yourdomain.com/api/estimates/:id",
    "GET yourdomain.com/api/estimates/search/:keysearch",
    "PUT yourdomain.com/api/estimates/:id",
    "GET yourdomain.com/api/common/expense_category",
    "POST yourdomain.com/api/expenses",
    "DELETE yourdomain.com/api/expenses/:id",
    "GET yourdomain.com/api/expenses/:id",
    "GET yourdomain.com/api/expenses/search/:keysearch",
    "PUT yourdomain.com/api/expenses",
    "POST yourdomain.com/api/invoices",
    "DELETE yourdomain.com/api/invoices/:id",
    "GET yourdomain.com/api/invoices/:id",
    "GET yourdomain.com/api/invoices/search/:keysearch",
    "PUT yourdomain.com/api/invoices/:id",
    "POST yourdomain.com/api/items",
    "DELETE yourdomain.com/api/delete/items/:id",
    "GET yourdomain.com/api/items/:id",
    "GET yourdomain.com/api/items/search/:keysearch",
    "PUT yourdomain.com/api/items/:id",
    "POST yourdomain.com/api/leads",
    "DELETE yourdomain.com/api/delete/leads/:id",
    "GET yourdomain.com/api/leads/:id",
    "GET yourdomain.com/api/leads/",
    "GET yourdomain.com/api/leads/search/:keysearch",
    "PUT yourdomain.com/api/leads/:id",
    "POST yourdomain.com/api/milestones",
    "DELETE yourdomain.com/api/delete/milestones/:id",
    "GET yourdomain.com/api/milestones/:id",
    "GET yourdomain.com/api/milestones/search/:keysearch",
    "PUT yourdomain.com/api/milestones/:id",
    "GET yourdomain.com/api/common/payment_mode",
    "POST yourdomain.com/api/payments",
    "GET yourdomain.com/api/payments/:id",
    "GET yourdomain.com/api/payments/search/:keysearch",
    "POST yourdomain.com/api/projects",
    "DELETE yourdomain.com/api/delete/projects/:id",
    "GET yourdomain.com/api/projects/:id",
    "GET yourdomain.com/api/projects/search/:keysearch",
    "PUT yourdomain.com/api/projects/:id",
    "POST yourdomain.com/api/proposals",
    "DELETE yourdomain.com/api/proposals/:id",
    "GET yourdomain.com/api/proposals",
    "GET yourdomain.com/api/proposals/search/:keysearch",
    "PUT yourdomain.com/api/proposal/:id",
    "POST yourdomain.com/api/staffs",
    "DELETE yourdomain.com/api/delete/staffs/:id",
    "GET yourdomain.com/api/staffs/:id",
    "GET yourdomain.com/api/staffs/search/:keysearch",
    "PUT yourdomain.com/api/staffs/:id",
    "POST yourdomain.com/api/subscriptions/",
    "DELETE yourdomain.com/api/subscriptions/:id",
    "GET yourdomain.com/api/subscriptions/:id",
    "GET yourdomain.com/api/subscriptions/",
    "PUT yourdomain.com/api/subscriptions/:id",
    "POST yourdomain.com/api/tasks/:id/checklist",
    "POST yourdomain.com/api/tasks",
    "DELETE yourdomain.com/api/tasks/:task_id/checklist/:item_id",
    "DELETE yourdomain.com/api/delete/tasks/:id",
    "GET yourdomain.com/api/tasks/:id/checklist",
    "GET yourdomain.com/api/tasks/:id",
    "GET yourdomain.com/api/tasks/search/:keysearch",
    "PUT yourdomain.com/api/tasks/:task_id/checklist/:item_id",
    "PUT yourdomain.com/api/tasks/:id",
    "GET yourdomain.com/api/common/tax_data",
    "DELETE yourdomain.com/api/thirdparty/customtable/:table_name/:id",
    "GET yourdomain.com/api/thirdparty/customtable/:table_name",
    "GET yourdomain.com/api/thirdparty/customtable/:table_name/:id",
    "POST yourdomain.com/api/thirdparty/customtable/:table_name",
    "PUT yourdomain.com/api/thirdparty/customtable/:table_name/:id",
    "POST yourdomain.com/api/tickets",
    "POST yourdomain.com/api/tickets/reply/:id",
    "DELETE yourdomain.com/api/delete/tickets/:id",
    "GET yourdomain.com/api/tickets/:id",
    "GET yourdomain.com/api/tickets/search/:keysearch",
    "PUT yourdomain.com/api/tickets/:id",
    "POST yourdomain.com/api/timesheets/",
    "DELETE yourdomain.com/api/timesheets/:id",
    "GET yourdomain.com/api/timesheets/:id",
    "GET yourdomain.com/api/timesheets/",
    "PUT yourdomain.com/api/timesheets/:id",
]

_PARAM = re.compile(r":[A-Za-z_]+|\{[A-Za-z_]+\}")


def _normalise(method: str, path: str) -> tuple[str, str]:
    """One shape for `:id` and `{id}` placeholders, no host, no trailing slash."""
    path = path.removeprefix("yourdomain.com/api")
    return method, _PARAM.sub("{}", path).rstrip("/") or "/"


def test_reference_has_every_endpoint_line() -> None:
    """The literal list is the reference's full endpoint list (111 lines, none repeated)."""
    assert len(REFERENCE) == 111
    assert len(set(REFERENCE)) == len(REFERENCE)


@pytest.mark.parametrize("line", REFERENCE)
def test_every_reference_endpoint_has_an_action(line: str) -> None:
    """Each endpoint of the reference is reachable through some catalogue action."""
    method, path = line.split(" ", 1)
    known = {_normalise(op.method, op.path) for op in OPERATIONS.values()}
    assert _normalise(method, path) in known


def test_names_follow_the_convention() -> None:
    """Actions are perfex.<resource>.<verb> with a known verb, keyed by their own name."""
    for key, op in OPERATIONS.items():
        assert key == op.name
        assert re.fullmatch(r"perfex\.[a-z_]+\.[a-z_]+", op.name), op.name
        assert op.verb in VERBS | SPECIAL_VERBS, op.name


def test_operations_are_well_formed() -> None:
    """Methods, body kinds, placeholders and field lists agree with each other."""
    for op in OPERATIONS.values():
        assert op.method in {"GET", "POST", "PUT", "DELETE"}, op.name
        assert op.body in {"form", "json", "query", "none"}, op.name
        assert op.path.startswith("/") and not op.path.endswith("/"), op.name
        assert tuple(re.findall(r"\{(\w+)\}", op.path)) == op.path_params, op.name
        assert not set(op.path_params) & set(op.required), op.name
        assert not set(op.path_params) & set(op.optional), op.name
        assert not set(op.required) & set(op.optional), op.name
        if op.method in {"GET", "DELETE"}:
            assert op.body in {"query", "none"}, op.name
            assert not op.required, op.name
        else:
            assert op.body in {"form", "json"}, op.name
        assert op.summary, op.name


def test_design_names_exist() -> None:
    """The actions design.md names explicitly are all there."""
    for name in [
        "perfex.tickets.reply",
        "perfex.tasks.checklist_add",
        "perfex.tasks.checklist_list",
        "perfex.tasks.checklist_update",
        "perfex.tasks.checklist_delete",
        "perfex.zapier.poll",
        "perfex.common.get",
        "perfex.custom_fields.get",
    ]:
        assert get_operation(name).name == name


def test_path_quirks_are_kept() -> None:
    """The reference's irregular paths are used as documented."""
    assert get_operation("perfex.contacts.delete").path == "/delete/contacts/{id}"
    assert get_operation("perfex.contracts.delete").path == "/contracts/{id}"
    assert get_operation("perfex.credit_notes.update").path == "/credit_notes"
    assert get_operation("perfex.expenses.update").path == "/expenses"
    assert get_operation("perfex.proposals.update").path == "/proposal/{id}"
    assert get_operation("perfex.proposals.list").path == "/proposals"
    contact = get_operation("perfex.contacts.get")
    assert contact.path_params == ("customer_id", "contact_id")
    assert get_operation("perfex.tasks.checklist_update").path_params == ("task_id", "item_id")


def test_mandatory_fields_spot_checks() -> None:
    """Mandatory fields are those the reference's Parameter tables mark so."""
    assert {"name", "startdate"} <= set(get_operation("perfex.tasks.create").required)
    assert get_operation("perfex.tasks.update").required == ()
    assert get_operation("perfex.leads.create").required == (
        "source",
        "status",
        "name",
        "assigned",
    )
    reply = get_operation("perfex.tickets.reply")
    assert (reply.method, reply.path, reply.required) == (
        "POST",
        "/tickets/reply/{id}",
        ("message",),
    )
    assert set(get_operation("perfex.contacts.create").required) == {
        "customer_id",
        "firstname",
        "lastname",
        "email",
    }
    invoice = get_operation("perfex.invoices.create")
    assert {"clientid", "newitems", "allowed_payment_modes"} <= set(invoice.required)
    assert "duedate" in invoice.optional
    assert get_operation("perfex.customers.create").required == ("company",)


def test_customtable_takes_json_and_returns_id() -> None:
    """Custom-table writes are JSON; an insert (alias of create) answers the new id."""
    insert = get_operation("perfex.customtable.insert")
    assert insert is get_operation("perfex.customtable.create")
    assert (insert.method, insert.body, insert.returns_id) == ("POST", "json", "id")
    assert insert.path == "/thirdparty/customtable/{table}"
    assert get_operation("perfex.customtable.update").body == "json"


def test_returns_id_where_the_reference_shows_one() -> None:
    """Exactly the endpoints whose examples carry a new id say where it is."""
    returning = {op.name: op.returns_id for op in OPERATIONS.values() if op.returns_id}
    assert returning == {
        "perfex.items.create": "item_id",
        "perfex.tasks.checklist_add": "checklist_item_id",
        "perfex.tickets.reply": "reply_id",
        "perfex.customtable.create": "id",
    }


def test_custom_fields_accepted_on_form_writes() -> None:
    """Record creates and updates that take a form accept custom_fields."""
    for resource in ["customers", "contacts", "leads", "tasks", "tickets", "invoices"]:
        for verb in ["create", "update"]:
            assert "custom_fields" in get_operation(f"perfex.{resource}.{verb}").optional


def test_unknown_action_is_refused() -> None:
    """An action the catalogue lacks raises UnknownAction naming it."""
    with pytest.raises(UnknownAction, match=r"perfex\.tasks\.explode"):
        get_operation("perfex.tasks.explode")


def test_missing_fields_lists_path_params_and_required() -> None:
    """missing_fields names absent or empty path parameters and mandatory fields."""
    op = get_operation("perfex.tasks.checklist_add")
    assert missing_fields(op, {}) == ("id", "description")
    assert missing_fields(op, {"id": 3, "description": ""}) == ("description",)
    assert missing_fields(op, {"id": 0, "description": "x"}) == ()
