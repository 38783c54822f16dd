"""The Perfex API reference as one table: every endpoint, its fields and how they travel.

Transcribed from the Perfex REST API module's reference. One row per action:
(name, method, path, required, optional, body, returns_id, summary); field lists are
space-separated. Path parameters are the `{placeholders}` of the path and are not repeated
in the field lists. Where the reference is ambiguous the choice is noted beside the row.
"""

from __future__ import annotations

#: Custom fields travel as `custom_fields[<belongs to>][<field id>]` on every create/update.
_CF = "custom_fields"
_BILLING = "billing_street billing_city billing_state billing_zip billing_country"
_BILLING_OPT = "billing_city billing_state billing_zip billing_country"
_SHIPPING = "shipping_street shipping_city shipping_state shipping_zip shipping_country"
_CALENDAR_REQ = "title start reminder_before_type reminder_before userid isstartnotified public"
_CONTACT_OPT = (
    "title phonenumber direction password is_primary donotsendwelcomeemail "
    "send_set_password_email permissions invoice_emails estimate_emails credit_note_emails "
    f"project_emails ticket_emails task_emails contract_emails {_CF}"
)
_CUSTOMER_OPT = (
    "vat phonenumber website groups_in default_language default_currency address city state "
    f"zip country {_BILLING} {_SHIPPING} {_CF}"
)
_CREDIT_REQ = "clientid date number currency newitems subtotal total"
_CREDIT_OPT = f"{_BILLING} {_SHIPPING} discount_type adminnote clientnote terms {_CF}"
_EXPENSE_REQ = "category amount date currency"
_EXPENSE_OPT = (
    "expense_name note clientid tax tax2 paymentmode reference_no recurring "
    f"repeat_every_custom repeat_type_custom {_CF}"
)
_INVOICE_REQ = (
    "clientid number date currency newitems subtotal total billing_street allowed_payment_modes"
)
_INVOICE_OPT = (
    f"{_BILLING_OPT} include_shipping show_shipping_on_invoice {_SHIPPING} duedate "
    "cancel_overdue_reminders tags sale_agent recurring discount_type repeat_every_custom "
    f"repeat_type_custom cycles adminnote removed_items clientnote terms {_CF}"
)
_ITEM_FIELDS = "long_description tax tax2 group_id unit"
_LEAD_REQ = "source status name assigned"
_LEAD_OPT = (
    "client_id tags contact title email website phonenumber company address city zip state "
    "country default_language description is_public"
)
_MILESTONE_REQ = "project_id name due_date"
_MILESTONE_OPT = f"description description_visible_to_customer milestone_order {_CF}"
_PROJECT_REQ = "name rel_type clientid billing_type start_date status"
_PROJECT_OPT = (
    "progress_from_tasks project_cost progress project_rate_per_hour estimated_hours "
    f"project_members deadline tags description {_CF}"
)
_PROPOSAL_OPT = f"open_till discount_type status assigned {_CF}"
_STAFF_REQ = "firstname email password"
_STAFF_OPT = (
    "hourly_rate phonenumber facebook linkedin skype default_language email_signature "
    "direction departments"
)
_SUBSCRIPTION = (
    "name description description_in_item clientid date terms currency tax_id stripe_tax_id_2 "
    "stripe_plan_id stripe_subscription_id tax_id_2 next_billing_cycle ends_at status quantity "
    "project_id hash created created_from date_subscribed in_test_environment last_sent_at"
)
_TASK_OPT = (
    "is_public billable hourly_rate milestone duedate priority repeat_every "
    f"repeat_every_custom repeat_type_custom cycles rel_id tags description assignees {_CF}"
)
_TICKET_REQ = "subject department contactid userid"
_TIMESHEET = "task_id start_time end_time staff_id hourly_rate note"

Row = tuple[str, str, str, str, str, str, str | None, str]

# A data table reads best one row per entry: keep the formatter out of it.
# fmt: off
ROWS: tuple[Row, ...] = (
    # --- zapier (triggers) -------------------------------------------------------------
    ("perfex.zapier.resources", "GET", "/zapier/resources", "", "", "none", None,
     "List the resources that can be polled and tested."),
    ("perfex.zapier.poll", "GET", "/zapier/poll/{resource}", "", "since limit", "query", None,
     "Records created since a unix time (creation column only, newest first, cut at limit)."),
    ("perfex.zapier.test", "GET", "/zapier/test/{resource}", "", "", "none", None,
     "One recent sample record of a resource."),
    ("perfex.zapier.route", "GET", "/zapier/{method}/{resource}", "", "", "none", None,
     "The generic Zapier route: `method` is poll, test or resources."),
    # --- calendar ------------------------------------------------------------------------
    ("perfex.calendar.create", "POST", "/calendar", _CALENDAR_REQ, "description color", "form",
     None, "Create a calendar event."),
    ("perfex.calendar.delete", "DELETE", "/calendar/{id}", "", "", "none", None,
     "Delete a calendar event."),
    ("perfex.calendar.list", "GET", "/calendar", "", "", "none", None, "All calendar events."),
    ("perfex.calendar.get", "GET", "/calendar/{id}", "", "", "none", None,
     "One calendar event."),
    # The reference documents only the id for updates; the create fields are accepted.
    ("perfex.calendar.update", "PUT", "/calendar/{id}", "",
     f"{_CALENDAR_REQ} description color", "form", None, "Update a calendar event."),
    # --- common data -----------------------------------------------------------------------
    ("perfex.common.get", "GET", "/common/{type}", "", "", "none", None,
     "Common data by type: expense_category, payment_mode or tax_data."),
    ("perfex.common.expense_category", "GET", "/common/expense_category", "", "", "none", None,
     "Expense categories."),
    ("perfex.common.payment_mode", "GET", "/common/payment_mode", "", "", "none", None,
     "Payment modes."),
    ("perfex.common.tax_data", "GET", "/common/tax_data", "", "", "none", None, "Taxes."),
    # --- contacts ----------------------------------------------------------------------------
    ("perfex.contacts.create", "POST", "/contacts", "customer_id firstname lastname email",
     _CONTACT_OPT, "form", None, "Add a contact to a customer."),
    ("perfex.contacts.delete", "DELETE", "/delete/contacts/{id}", "", "", "none", None,
     "Delete a contact."),
    ("perfex.contacts.get", "GET", "/contacts/{customer_id}/{contact_id}", "", "", "none", None,
     "One contact of a customer."),
    ("perfex.contacts.list", "GET", "/contacts/{customer_id}", "", "", "none", None,
     "All contacts of a customer (the same endpoint without contact_id)."),
    ("perfex.contacts.search", "GET", "/contacts/search/{keysearch}", "", "", "none", None,
     "Search contacts."),
    ("perfex.contacts.update", "PUT", "/contacts/{id}", "firstname lastname email",
     _CONTACT_OPT, "form", None, "Update a contact (409 when the email is taken)."),
    # --- contracts ---------------------------------------------------------------------------
    ("perfex.contracts.create", "POST", "/contracts", "subject datestart client",
     f"dateend contract_type contract_value description content {_CF}", "form", None,
     "Add a contract."),
    ("perfex.contracts.delete", "DELETE", "/contracts/{id}", "", "", "none", None,
     "Delete a contract."),
    ("perfex.contracts.get", "GET", "/contracts/{id}", "", "", "none", None, "One contract."),
    # --- credit notes --------------------------------------------------------------------------
    ("perfex.credit_notes.create", "POST", "/credit_notes", _CREDIT_REQ, _CREDIT_OPT, "form",
     None, "Add a credit note."),
    ("perfex.credit_notes.delete", "DELETE", "/credit_notes/{id}", "", "", "none", None,
     "Delete a credit note."),
    ("perfex.credit_notes.get", "GET", "/credit_notes/{id}", "", "", "none", None,
     "One credit note."),
    ("perfex.credit_notes.search", "GET", "/credit_notes/search/{keysearch}", "", "", "none",
     None, "Search credit notes."),
    # The reference shows no id in this path; kept as documented.
    ("perfex.credit_notes.update", "PUT", "/credit_notes", f"{_CREDIT_REQ} items",
     f"removed_items {_CREDIT_OPT}", "form", None, "Update a credit note."),
    # --- custom fields -------------------------------------------------------------------------
    ("perfex.custom_fields.get", "GET", "/custom_fields/{belongs_to}/{id}", "", "", "none",
     None, "Custom field values of one record (belongs_to: Leads, Customers, Invoice, ...)."),
    ("perfex.custom_fields.list", "GET", "/custom_fields/{belongs_to}", "", "", "none", None,
     "Custom field definitions of a record type (the same endpoint without id)."),
    # --- customers -----------------------------------------------------------------------------
    ("perfex.customers.create", "POST", "/customers", "company",
     f"partnership_type {_CUSTOMER_OPT}", "form", None, "Add a customer."),
    ("perfex.customers.delete", "DELETE", "/delete/customers/{id}", "", "", "none", None,
     "Delete a customer."),
    ("perfex.customers.get", "GET", "/customers/{id}", "", "", "none", None, "One customer."),
    ("perfex.customers.list", "GET", "/customers", "", "", "none", None,
     "All customers (the reference's introductory example)."),
    ("perfex.customers.search", "GET", "/customers/search/{keysearch}", "", "", "none", None,
     "Search customers."),
    ("perfex.customers.update", "PUT", "/customers/{id}", "company", _CUSTOMER_OPT, "form",
     None, "Update a customer."),
    # --- estimates -----------------------------------------------------------------------------
    ("perfex.estimates.create", "POST", "/estimates",
     "clientid number date currency newitems subtotal total",
     f"duedate {_BILLING} {_SHIPPING} tags status reference_no sale_agent adminnote "
     f"clientnote terms {_CF}", "form", None, "Add an estimate."),
    ("perfex.estimates.delete", "DELETE", "/estimates/{id}", "", "", "none", None,
     "Delete an estimate."),
    ("perfex.estimates.get", "GET", "/estimates/{id}", "", "", "none", None, "One estimate."),
    ("perfex.estimates.search", "GET", "/estimates/search/{keysearch}", "", "", "none", None,
     "Search estimates."),
    # `items` is flagged "(optional)" though described as mandatory: the flag wins.
    ("perfex.estimates.update", "PUT", "/estimates/{id}",
     "clientid billing_street number date currency status subtotal total",
     f"{_BILLING_OPT} include_shipping show_shipping_on_estimate {_SHIPPING} expirydate tags "
     "reference_no sale_agent discount_type adminnote items removed_items newitems "
     f"clientnote terms {_CF}", "form", None, "Update an estimate."),
    # --- expenses ------------------------------------------------------------------------------
    ("perfex.expenses.create", "POST", "/expenses", _EXPENSE_REQ, _EXPENSE_OPT, "form", None,
     "Add an expense."),
    ("perfex.expenses.delete", "DELETE", "/expenses/{id}", "", "", "none", None,
     "Delete an expense."),
    ("perfex.expenses.get", "GET", "/expenses/{id}", "", "", "none", None, "One expense."),
    ("perfex.expenses.search", "GET", "/expenses/search/{keysearch}", "", "", "none", None,
     "Search expenses."),
    # The reference shows no id in this path; kept as documented.
    ("perfex.expenses.update", "PUT", "/expenses", _EXPENSE_REQ, _EXPENSE_OPT, "form", None,
     "Update an expense."),
    # --- invoices ------------------------------------------------------------------------------
    ("perfex.invoices.create", "POST", "/invoices", _INVOICE_REQ, _INVOICE_OPT, "form", None,
     "Add an invoice."),
    ("perfex.invoices.delete", "DELETE", "/invoices/{id}", "", "", "none", None,
     "Delete an invoice."),
    ("perfex.invoices.get", "GET", "/invoices/{id}", "", "", "none", None, "One invoice."),
    ("perfex.invoices.search", "GET", "/invoices/search/{keysearch}", "", "", "none", None,
     "Search invoices."),
    ("perfex.invoices.update", "PUT", "/invoices/{id}", _INVOICE_REQ, f"items {_INVOICE_OPT}",
     "form", None, "Update an invoice."),
    # --- items ---------------------------------------------------------------------------------
    ("perfex.items.create", "POST", "/items", "description rate", f"{_ITEM_FIELDS} {_CF}",
     "form", "item_id", "Create an item; answers its item_id."),
    ("perfex.items.delete", "DELETE", "/delete/items/{id}", "", "", "none", None,
     "Delete an item."),
    ("perfex.items.get", "GET", "/items/{id}", "", "", "none", None, "One item."),
    ("perfex.items.list", "GET", "/items", "", "", "none", None,
     "All items (the same endpoint without id)."),
    ("perfex.items.search", "GET", "/items/search/{keysearch}", "", "", "none", None,
     "Search items."),
    ("perfex.items.update", "PUT", "/items/{id}", "", f"description rate {_ITEM_FIELDS} {_CF}",
     "form", None, "Update an item."),
    # --- leads ---------------------------------------------------------------------------------
    ("perfex.leads.create", "POST", "/leads", _LEAD_REQ,
     f"{_LEAD_OPT} custom_contact_date contacted_today {_CF}", "form", None, "Add a lead."),
    ("perfex.leads.delete", "DELETE", "/delete/leads/{id}", "", "", "none", None,
     "Delete a lead."),
    ("perfex.leads.get", "GET", "/leads/{id}", "", "", "none", None, "One lead."),
    ("perfex.leads.list", "GET", "/leads", "", "", "none", None, "All leads."),
    ("perfex.leads.search", "GET", "/leads/search/{keysearch}", "", "", "none", None,
     "Search leads."),
    ("perfex.leads.update", "PUT", "/leads/{id}", _LEAD_REQ, f"{_LEAD_OPT} lastcontact {_CF}",
     "form", None, "Update a lead."),
    # --- milestones ----------------------------------------------------------------------------
    ("perfex.milestones.create", "POST", "/milestones", _MILESTONE_REQ, _MILESTONE_OPT, "form",
     None, "Add a project milestone."),
    ("perfex.milestones.delete", "DELETE", "/delete/milestones/{id}", "", "", "none", None,
     "Delete a milestone."),
    ("perfex.milestones.get", "GET", "/milestones/{id}", "", "", "none", None,
     "One milestone."),
    ("perfex.milestones.search", "GET", "/milestones/search/{keysearch}", "", "", "none", None,
     "Search milestones."),
    ("perfex.milestones.update", "PUT", "/milestones/{id}", _MILESTONE_REQ, _MILESTONE_OPT,
     "form", None, "Update a milestone."),
    # --- payments (success and failure say "paymentmode": true/false, not "status") -----------
    ("perfex.payments.create", "POST", "/payments", "invoiceid amount paymentmode",
     f"paymentmethod note transactionid {_CF}", "form", None, "Record an invoice payment."),
    ("perfex.payments.get", "GET", "/payments/{id}", "", "", "none", None, "One payment."),
    ("perfex.payments.list", "GET", "/payments", "", "", "none", None,
     "All payments (the same endpoint without id)."),
    ("perfex.payments.search", "GET", "/payments/search/{keysearch}", "", "", "none", None,
     "Search payments."),
    # --- projects ------------------------------------------------------------------------------
    ("perfex.projects.create", "POST", "/projects", _PROJECT_REQ, _PROJECT_OPT, "form", None,
     "Add a project."),
    ("perfex.projects.delete", "DELETE", "/delete/projects/{id}", "", "", "none", None,
     "Delete a project."),
    ("perfex.projects.get", "GET", "/projects/{id}", "", "", "none", None, "One project."),
    ("perfex.projects.search", "GET", "/projects/search/{keysearch}", "", "", "none", None,
     "Search projects."),
    ("perfex.projects.update", "PUT", "/projects/{id}", _PROJECT_REQ, _PROJECT_OPT, "form",
     None, "Update a project."),
    # --- proposals: the reference's "Related" is rel_type, "Email" email -----------------------
    ("perfex.proposals.create", "POST", "/proposals",
     "subject rel_type rel_id proposal_to date currency email newitems", _PROPOSAL_OPT, "form",
     None, "Add a proposal."),
    ("perfex.proposals.delete", "DELETE", "/proposals/{id}", "", "", "none", None,
     "Delete a proposal."),
    ("perfex.proposals.list", "GET", "/proposals", "", "", "none", None, "All proposals."),
    ("perfex.proposals.get", "GET", "/proposals/{id}", "", "", "none", None, "One proposal."),
    ("perfex.proposals.search", "GET", "/proposals/search/{keysearch}", "", "", "none", None,
     "Search proposals."),
    # Singular "proposal" in the path, as documented.
    ("perfex.proposals.update", "PUT", "/proposal/{id}",
     "subject rel_id proposal_to date currency email newitems",
     f"rel_type items removed_items {_PROPOSAL_OPT}", "form", None, "Update a proposal."),
    # --- staffs --------------------------------------------------------------------------------
    ("perfex.staffs.create", "POST", "/staffs", _STAFF_REQ,
     f"{_STAFF_OPT} send_welcome_email {_CF}", "form", None, "Add a staff member."),
    ("perfex.staffs.delete", "DELETE", "/delete/staffs/{id}", "", "", "none", None,
     "Delete a staff member."),
    ("perfex.staffs.get", "GET", "/staffs/{id}", "", "", "none", None, "One staff member."),
    ("perfex.staffs.search", "GET", "/staffs/search/{keysearch}", "", "", "none", None,
     "Search staff."),
    ("perfex.staffs.update", "PUT", "/staffs/{id}", _STAFF_REQ, f"{_STAFF_OPT} {_CF}", "form",
     None, "Update a staff member."),
    # --- subscriptions: the reference marks no field mandatory ---------------------------------
    ("perfex.subscriptions.create", "POST", "/subscriptions", "", _SUBSCRIPTION, "form", None,
     "Add a subscription."),
    ("perfex.subscriptions.delete", "DELETE", "/subscriptions/{id}", "", "", "none", None,
     "Delete a subscription."),
    ("perfex.subscriptions.get", "GET", "/subscriptions/{id}", "", "", "none", None,
     "One subscription."),
    ("perfex.subscriptions.list", "GET", "/subscriptions", "", "", "none", None,
     "All subscriptions."),
    ("perfex.subscriptions.update", "PUT", "/subscriptions/{id}", "", _SUBSCRIPTION, "form",
     None, "Update a subscription."),
    # --- tasks ---------------------------------------------------------------------------------
    ("perfex.tasks.checklist_add", "POST", "/tasks/{id}/checklist", "description",
     "assigned list_order", "form", "checklist_item_id",
     "Add a checklist item to a task; answers its checklist_item_id."),
    ("perfex.tasks.create", "POST", "/tasks", "name startdate rel_type", _TASK_OPT, "form",
     None, "Add a task."),
    ("perfex.tasks.checklist_delete", "DELETE", "/tasks/{task_id}/checklist/{item_id}", "", "",
     "none", None, "Delete a checklist item."),
    ("perfex.tasks.delete", "DELETE", "/delete/tasks/{id}", "", "", "none", None,
     "Delete a task."),
    ("perfex.tasks.checklist_list", "GET", "/tasks/{id}/checklist", "", "", "none", None,
     "The checklist items of a task."),
    ("perfex.tasks.get", "GET", "/tasks/{id}", "", "", "none", None, "One task."),
    ("perfex.tasks.search", "GET", "/tasks/search/{keysearch}", "", "", "none", None,
     "Search tasks."),
    ("perfex.tasks.checklist_update", "PUT", "/tasks/{task_id}/checklist/{item_id}", "",
     "description finished assigned list_order", "form", None, "Update a checklist item."),
    ("perfex.tasks.update", "PUT", "/tasks/{id}", "",
     f"name startdate status rel_type {_TASK_OPT}", "form", None, "Update a task."),
    # --- third-party custom tables (JSON bodies) -----------------------------------------------
    ("perfex.customtable.delete", "DELETE", "/thirdparty/customtable/{table}/{id}", "", "",
     "none", None, "Delete a row of a custom table."),
    ("perfex.customtable.list", "GET", "/thirdparty/customtable/{table}", "", "", "none", None,
     "All rows of a custom table."),
    ("perfex.customtable.get", "GET", "/thirdparty/customtable/{table}/{id}", "", "", "none",
     None, "One row of a custom table."),
    ("perfex.customtable.create", "POST", "/thirdparty/customtable/{table}", "", "", "json",
     "id", "Insert a row (columns as fields); answers 201 with its id."),
    ("perfex.customtable.update", "PUT", "/thirdparty/customtable/{table}/{id}", "", "", "json",
     None, "Update a row (columns as fields)."),
    # --- tickets -------------------------------------------------------------------------------
    ("perfex.tickets.create", "POST", "/tickets", _TICKET_REQ,
     f"project_id message service assigned cc priority tags {_CF}", "form", None,
     "Open a ticket."),
    # File attachments need multipart uploads, which the bridge does not send.
    ("perfex.tickets.reply", "POST", "/tickets/reply/{id}", "message", "admin status cc",
     "form", "reply_id", "Reply to a ticket; answers its reply_id."),
    ("perfex.tickets.delete", "DELETE", "/delete/tickets/{id}", "", "", "none", None,
     "Delete a ticket."),
    ("perfex.tickets.get", "GET", "/tickets/{id}", "", "", "none", None, "One ticket."),
    ("perfex.tickets.list", "GET", "/tickets", "", "page per_page", "query", None,
     "Tickets, paginated (the same endpoint without id)."),
    ("perfex.tickets.search", "GET", "/tickets/search/{keysearch}", "", "", "none", None,
     "Search tickets."),
    ("perfex.tickets.update", "PUT", "/tickets/{id}", f"{_TICKET_REQ} priority",
     f"project_id message service assigned tags {_CF}", "form", None, "Update a ticket."),
    # --- timesheets: no documented fields; these are the columns the GET example shows --------
    ("perfex.timesheets.create", "POST", "/timesheets", "", _TIMESHEET, "form", None,
     "Add a timesheet entry."),
    ("perfex.timesheets.delete", "DELETE", "/timesheets/{id}", "", "", "none", None,
     "Delete a timesheet entry."),
    ("perfex.timesheets.get", "GET", "/timesheets/{id}", "", "", "none", None,
     "One timesheet entry."),
    ("perfex.timesheets.list", "GET", "/timesheets", "", "", "none", None,
     "All timesheet entries."),
    ("perfex.timesheets.update", "PUT", "/timesheets/{id}", "", _TIMESHEET, "form", None,
     "Update a timesheet entry."),
)
# fmt: on
