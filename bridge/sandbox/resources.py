"""What each Perfex resource looks like: id keys, mandatory fields, messages, defaults.

The messages and status codes are the reference's, quirks included (invoice, estimate and
proposal updates answer `"status": false` on success; payments say `"paymentmode"` where
the others say `"status"`). Resources not listed here (checklists, replies, customtable)
have handlers of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Every resource's record carries these address fields with empty values, like MySQL.
_ADDRESS = {
    f"{kind}_{part}": ("0" if part == "country" else "")
    for kind in ("billing", "shipping")
    for part in ("street", "city", "state", "zip", "country")
}


@dataclass(frozen=True)
class Resource:
    """One Perfex resource served by the generic create/get/list/search/update/delete."""

    name: str
    #: Keys that carry the record id; the first is the primary one.
    id_keys: tuple[str, ...] = ("id",)
    #: Creation column and whether it holds a date-time or a date.
    created: str | None = "datecreated"
    created_is_date: bool = False
    #: Mandatory fields on create and on update: (field, label) for the validation message.
    required: tuple[tuple[str, str], ...] = ()
    update_required: tuple[tuple[str, str], ...] = ()
    #: Field values a new record starts with.
    defaults: dict[str, Any] = field(default_factory=dict)
    #: Messages: add, add_fail, update, update_fail, delete, delete_fail.
    messages: tuple[str, str, str, str, str, str] = ("", "", "", "", "", "")
    not_found: str = "No data were found"
    search_not_found: str = "No data were found"
    #: Name of the boolean key of every answer: "status" (payments say "paymentmode").
    status_key: str = "status"
    #: The `status` value an update success carries (the reference says false for some).
    update_status: bool = True
    #: GET by id answers a one-element list instead of an object.
    get_as_list: bool = False
    #: List and search answer {"data": [...], "meta": {...}} pages.
    list_paged: bool = False
    search_paged: bool = False
    #: Slug of the resource's custom fields (`custom_fields[<slug>][<id>]`), if any.
    customfield_slug: str | None = None
    #: The record has line items (newitems/items/removed_items).
    has_items: bool = False
    #: Field that must be unique, with its message.
    unique: tuple[str, str] | None = None
    #: Key of the new id in the create answer, where the API returns it.
    returns_id: str | None = None
    #: Create failures answer 400/404 {"status": false, "error": "Data not Added"}.
    add_fail_error: int | None = None


def _cols(spec: str) -> dict[str, Any]:
    """Column defaults from "name=value" words; `~` is NULL: "vat= active=1 leadid=~"."""
    pairs = (word.split("=", 1) for word in spec.split())
    return {name: (None if value == "~" else value) for name, value in pairs}


def _req(spec: str) -> tuple[tuple[str, str], ...]:
    """Mandatory fields from "field=Label|field=Label" ("newitems[]" means an array)."""
    pairs = (item.split("=", 1) for item in spec.split("|"))
    return tuple((name, label) for name, label in pairs)


def _msgs(spec: str) -> tuple[str, str, str, str, str, str]:
    """The six messages from "add|add fail|update|update fail|delete|delete fail"."""
    add, add_fail, upd, upd_fail, dele, dele_fail = spec.split("|")
    return (add, add_fail, upd, upd_fail, dele, dele_fail)


_SALES = (
    _cols(
        "sent=0 datesend=~ deleted_customer_name=~ number_format=1 subtotal=0.00 total_tax=0.00 "
        "total=0.00 adjustment=0.00 addedfrom=1 status=1 clientnote= adminnote= "
        "discount_percent=0.00 discount_total=0.00 discount_type= terms= sale_agent=0 project_id=0 "
        "include_shipping=0 show_quantity_as=1 short_link=~"
    )
    | _ADDRESS
)

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in [
        Resource(
            "customers",
            id_keys=("userid",),
            customfield_slug="customers",
            required=_req("company=Company"),
            update_required=_req("company=Company"),
            defaults={
                **_ADDRESS,
                **_cols(
                    "vat= phonenumber= country=0 city= zip= state= address= website= active=1 "
                    "leadid=~ longitude=~ latitude=~ default_language= default_currency=0 "
                    "show_primary_contact=0 stripe_id=~ registration_confirmed=1 addedfrom=1"
                ),
            },
            messages=_msgs(
                "Customer add successful.|Customer add fail.|Customer Update Successful.|"
                "Customer Update Fail.|Customer Delete Successful.|Customer Delete Fail."
            ),
        ),
        Resource(
            "contacts",
            customfield_slug="contacts",
            required=_req(
                "customer_id=Customer Id|firstname=First Name|lastname=Last Name|email=Email"
            ),
            update_required=_req("firstname=First Name|lastname=Last Name|email=Email"),
            defaults={
                **_cols(
                    "userid=0 is_primary=0 phonenumber= title=~ active=1 profile_image=~ "
                    "direction=~ invoice_emails=0 estimate_emails=0 credit_note_emails=0 "
                    "contract_emails=0 task_emails=0 project_emails=0 ticket_emails=0 "
                    "last_login=~"
                )
            },
            messages=_msgs(
                "Contact added successfully|Contact add fail|Contact Updated Successfully|"
                "Contact add fail|Contact Deleted Successfully|Contact Delete Fail"
            ),
        ),
        Resource(
            "leads",
            created="dateadded",
            customfield_slug="leads",
            required=_req("source=Source|status=Status|name=Lead Name|assigned=Assigned"),
            update_required=_req("source=Source|status=Status|name=Lead Name|assigned=Assigned"),
            defaults={
                **_cols(
                    "hash= contact= title= company= description= country=0 zip= city= state= "
                    "address= email= website= phonenumber= from_form_id=0 addedfrom=1 "
                    "lastcontact=~ last_status_change=~ junk=0 lost=0 is_public=0 client_id=0 "
                    "default_language= date_converted=~"
                )
            },
            messages=_msgs(
                "Lead add successful.|Lead add fail.|Lead Update Successful.|"
                "Lead Update Fail.|Lead Delete Successful.|Lead Delete Fail."
            ),
        ),
        Resource(
            "tasks",
            created="dateadded",
            customfield_slug="tasks",
            required=_req("name=Task Name|startdate=Task Start Date"),
            defaults={
                **_cols(
                    "description= priority=2 duedate=~ datefinished=~ addedfrom=1 "
                    "is_added_from_contact=0 status=1 recurring_type=~ repeat_every=0 "
                    "recurring=0 is_recurring_from=~ cycles=0 rel_id=~ rel_type=~ is_public=0 "
                    "billable=0 billed=0 hourly_rate=0.00 milestone=0 kanban_order=1 "
                    "milestone_order=0 visible_to_client=0 deadline_notified=0"
                )
            },
            messages=_msgs(
                "Task add successful.|Task add fail.|Task Update Successful.|"
                "Task Update Fail.|Task Delete Successful.|Task Delete Fail."
            ),
        ),
        Resource(
            "tickets",
            id_keys=("id", "ticketid"),
            created="date",
            list_paged=True,
            search_paged=True,
            customfield_slug="tickets",
            required=_req("subject=Subject|department=Department|contactid=Contact|userid=User"),
            update_required=_req(
                "subject=Subject|department=Department|contactid=Contact|userid=User|"
                "priority=Priority"
            ),
            defaults={
                **_cols(
                    "adminreplying=0 email=~ name=~ priority=2 status=1 service=0 ticketkey= "
                    "message= admin=1 project_id=0 lastreply=~ clientread=0 adminread=1 "
                    "assigned=0 cc="
                )
            },
            messages=_msgs(
                "Ticket add successful.|Ticket add fail.|Ticket Update Successful.|"
                "Ticket Update Fail.|Ticket Delete Successful.|Ticket Delete Fail."
            ),
        ),
        Resource(
            "invoices",
            search_not_found="No Data Were Found",
            update_status=False,
            customfield_slug="invoice",
            has_items=True,
            unique=("number", "The Invoice number is already in use"),
            required=_req(
                "clientid=Customer|number=Invoice Number|date=Invoice Date|"
                "currency=Currency|newitems[]=Items|subtotal=Sub Total|total=Total|"
                "billing_street=Billing Street|allowed_payment_modes[]=Allow Payment Mode"
            ),
            update_required=_req(
                "clientid=Customer|number=Invoice Number|date=Invoice Date|"
                "currency=Currency|subtotal=Sub Total|total=Total"
            ),
            defaults={
                **_SALES,
                **_cols(
                    "prefix=INV- duedate=~ hash= last_overdue_reminder=~ "
                    "cancel_overdue_reminders=0 allowed_payment_modes= token=~ recurring=0 "
                    "recurring_type=~ custom_recurring=0 cycles=0 total_cycles=0 "
                    "is_recurring_from=~ last_recurring_date=~ show_shipping_on_invoice=1 "
                    "subscription_id=0"
                ),
            },
            messages=_msgs(
                "Invoice Added Successfully|Invoice Add Fail|Invoice Updated Successfully|"
                "Invoice Update Fail|Invoice Deleted Successfully|Invoice Delete Fail"
            ),
        ),
        Resource(
            "estimates",
            search_not_found="No Data Were Found",
            update_status=False,
            customfield_slug="estimate",
            has_items=True,
            unique=("number", "The Estimates number is already in use"),
            required=_req(
                "clientid=Customer|number=Estimate Number|date=Estimate Date|"
                "currency=Currency|newitems[]=Items|subtotal=Sub Total|total=Total"
            ),
            update_required=_req(
                "clientid=Customer|number=Estimate Number|date=Estimate Date|"
                "currency=Currency|subtotal=Sub Total|total=Total"
            ),
            defaults={
                **_SALES,
                **_cols(
                    "prefix=EST- expirydate=~ hash= invoiceid=~ invoiced_date=~ reference_no= "
                    "show_shipping_on_estimate=1 pipeline_order=0 is_expiry_notified=0 "
                    "signature=~"
                ),
            },
            messages=_msgs(
                "Estimates Added Successfully|Estimates Add Fail|"
                "Estimate Updated Successfully|Estimate Update Fail|"
                "Estimate Deleted Successfully|Estimate Delete Fail"
            ),
        ),
        Resource(
            "credit_notes",
            customfield_slug="credit_note",
            has_items=True,
            unique=("number", "The Credit Note number is already in use"),
            required=_req(
                "clientid=Customer|date=Credit Note Date|number=Credit Note Number|"
                "currency=Currency|newitems[]=Items|subtotal=Sub Total|total=Total"
            ),
            update_required=_req(
                "clientid=Customer|date=Credit Note Date|number=Credit Note Number|"
                "currency=Currency|subtotal=Sub Total|total=Total"
            ),
            defaults={**_SALES, **_cols("prefix=CN- reference_no= show_shipping_on_credit_note=1")},
            messages=_msgs(
                "Credit Note Added Successfully|Credit Note Add Fail|"
                "Credit Note Updated Successfully|Credit Note Update Fail|"
                "Credit Note Deleted Successfully|Credit Note Delete Fail"
            ),
        ),
        Resource(
            "contracts",
            created="dateadded",
            customfield_slug="contracts",
            required=_req("subject=Subject|datestart=Start Date|client=Customer"),
            update_required=_req("subject=Subject|datestart=Start Date|client=Customer"),
            defaults={
                **_cols(
                    "content= description= dateend=~ contract_type=0 project_id=0 addedfrom=1 "
                    "isexpirynotified=0 contract_value=0.00 trash=0 not_visible_to_client=0 "
                    "hash= signed=0 signature=~ marked_as_signed=0 short_link=~"
                )
            },
            messages=_msgs(
                "Contract Added Successfully|Contract add fail|"
                "Contract Updated Successfully|Contract Update Fail|"
                "Contract Deleted Successfully|Contract Delete Fail"
            ),
        ),
        Resource(
            "expenses",
            created="dateadded",
            get_as_list=True,
            customfield_slug="expenses",
            required=_req(
                "category=Expense Category|amount=Amount|date=Expense date|currency=Currency"
            ),
            update_required=_req(
                "category=Expense Category|amount=Amount|date=Expense date|currency=Currency"
            ),
            defaults={
                **_cols(
                    "tax=0 tax2=0 reference_no= note= expense_name= clientid=0 project_id=0 "
                    "billable=0 invoiceid=~ paymentmode=0 recurring_type=~ repeat_every=0 "
                    "recurring=0 cycles=0 total_cycles=0 custom_recurring=0 "
                    "last_recurring_date=~ create_invoice_billable=0 send_invoice_to_customer=0 "
                    "recurring_from=~ addedfrom=1"
                )
            },
            messages=_msgs(
                "Expense Added Successfully|Expense Add Fail|Expense Updated Successfully|"
                "Expense Update Fail|Expense Deleted Successfully|Expense Delete Fail"
            ),
        ),
        Resource(
            "items",
            created=None,
            search_paged=True,
            customfield_slug="items",
            returns_id="item_id",
            required=_req("description=Description|rate=Rate"),
            defaults={**_cols("long_description= tax=~ tax2=~ unit= group_id=0")},
            messages=_msgs(
                "Item created successfully|Item creation failed|Item updated successfully|"
                "Item update failed|Item deleted successfully|Item deletion failed"
            ),
        ),
        Resource(
            "milestones",
            created_is_date=True,
            required=_req("project_id=Project|name=Name|due_date=Due Date"),
            update_required=_req("project_id=Project|name=Name|due_date=Due Date"),
            defaults={
                **_cols(
                    "description= description_visible_to_customer=0 color=~ milestone_order=0 "
                    "total_tasks=0 total_finished_tasks=0"
                )
            },
            messages=_msgs(
                "Milestone add successful.|Milestone add fail.|Milestone Update Successful.|"
                "Milestone Update Fail.|Milestone Delete Successful.|Milestone Delete Fail."
            ),
        ),
        Resource(
            "payments",
            created="daterecorded",
            status_key="paymentmode",
            required=_req("invoiceid=Invoice|amount=Amount|paymentmode=Payment Mode"),
            defaults={**_cols("paymentmethod= note= transactionid=")},
            messages=_msgs(
                "Payment add successful.|Payment add fail.|Payment Update Successful.|"
                "Payment Update Fail.|Payment Delete Successful.|Payment Delete Fail."
            ),
        ),
        Resource(
            "projects",
            created="project_created",
            created_is_date=True,
            customfield_slug="projects",
            required=_req(
                "name=Project Name|rel_type=Related|clientid=Customer|"
                "billing_type=Billing Type|start_date=Start Date|status=Status"
            ),
            update_required=_req(
                "name=Project Name|rel_type=Related|clientid=Customer|"
                "billing_type=Billing Type|start_date=Start Date|status=Status"
            ),
            defaults={
                **_cols(
                    "description=~ deadline=~ date_finished=~ progress=0 progress_from_tasks=1 "
                    "project_cost=0.00 project_rate_per_hour=0.00 estimated_hours=0.00 "
                    "addedfrom=1"
                )
            },
            messages=_msgs(
                "Project add successful.|Project add fail.|Project Update Successful.|"
                "Project Update Fail.|Project Delete Successful.|Project Delete Fail."
            ),
        ),
        Resource(
            "proposals",
            search_not_found="No Data Were Found",
            update_status=False,
            customfield_slug="proposal",
            has_items=True,
            required=_req(
                "subject=Subject|rel_type=Related|rel_id=Related|proposal_to=To|date=Date|"
                "currency=Currency|email=Email|newitems[]=Items"
            ),
            update_required=_req(
                "subject=Subject|rel_id=Related|proposal_to=To|date=Date|currency=Currency|"
                "email=Email"
            ),
            defaults={
                **_cols(
                    "content={proposal_items} addedfrom=1 total=0.00 subtotal=0.00 "
                    "total_tax=0.00 adjustment=0.00 discount_percent=0.00 discount_total=0.00 "
                    "discount_type= show_quantity_as=1 open_till=~ assigned=0 hash= country=0 "
                    "zip= state= city= address= phone= allow_comments=1 status=6 estimate_id=~ "
                    "invoice_id=~ date_converted=~ pipeline_order=0 is_expiry_notified=0 "
                    "signature=~ short_link=~"
                )
            },
            messages=_msgs(
                "Proposal add successful.|Proposal add fail.|Proposal Updated Successfully|"
                "Proposal Update Fail|Proposals Deleted Successfully|Proposal Delete Fail"
            ),
        ),
        Resource(
            "staffs",
            id_keys=("staffid",),
            customfield_slug="staff",
            required=_req("firstname=First Name|email=Email|password=Password"),
            update_required=_req("firstname=First Name|email=Email|password=Password"),
            defaults={
                **_cols(
                    "lastname= facebook= linkedin= phonenumber= skype= profile_image=~ "
                    "last_ip=~ last_login=~ last_activity=~ last_password_change=~ "
                    "new_pass_key=~ new_pass_key_requested=~ admin=0 role=0 active=1 "
                    "default_language= direction= media_path_slug=~ is_not_staff=0 "
                    "hourly_rate=0.00 two_factor_auth_enabled=0 email_signature="
                )
            },
            messages=_msgs(
                "Staff add successful.|Staff add fail.|Staff Update Successful.|"
                "Staff Update Fail.|Staff Delete.|Staff Not Delete."
            ),
        ),
        Resource(
            "subscriptions",
            created="created",
            get_as_list=True,
            add_fail_error=400,
            defaults={
                **_cols(
                    "description= description_in_item=0 clientid=0 date=~ terms= currency=0 "
                    "tax_id=0 stripe_tax_id_2=~ stripe_plan_id=~ stripe_subscription_id= "
                    "tax_id_2=0 next_billing_cycle=~ ends_at=~ status=~ quantity=1 project_id=0 "
                    "hash= created_from=1 date_subscribed=~ in_test_environment=~ "
                    "last_sent_at=~"
                )
            },
            messages=_msgs(
                "Data Added Successfully|Data not Added|Data Update Successful.|"
                "Data Update Fail.|Delete Successful.|Delete Fail."
            ),
        ),
        Resource(
            "timesheets",
            created=None,
            get_as_list=True,
            add_fail_error=404,
            defaults={**_cols("task_id=0 start_time= end_time= staff_id=1 hourly_rate=0.00 note=")},
            messages=_msgs(
                "Data Added Successfully|Data not Added|Data Update Successful.|"
                "Data Update Fail.|Delete Successful.|Delete Fail."
            ),
        ),
        Resource(
            "calendar",
            id_keys=("eventid",),
            created=None,
            get_as_list=True,
            required=_req(
                "title=Title|start=Start Date|reminder_before_type=Reminder Before Type|"
                "reminder_before=Reminder Before|userid=User|"
                "isstartnotified=Is Start Notified|public=Public"
            ),
            defaults={
                **_cols(
                    "description= end=~ public=0 color=#03a9f4 isstartnotified=0 "
                    "reminder_before=30 reminder_before_type=minutes"
                )
            },
            messages=_msgs(
                "Data Added Successfully|Data Creation Failed|Data Update Successful.|"
                "Data Update Fail|Data Deleted Successfully|Data Delete Fail"
            ),
        ),
    ]
}

#: The resources the poll endpoint knows, with their creation column.
POLL_RESOURCES = ("customers", "invoices", "leads", "tasks", "tickets")


def primary_id(resource: Resource, record: dict[str, Any]) -> int:
    """A stored record's id as an int."""
    return int(record[resource.id_keys[0]])
