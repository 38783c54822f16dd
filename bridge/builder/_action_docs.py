"""What each Perfex action's fields mean, in plain words, and the values some of them take.

Transcribed from the Perfex REST API module's reference (the parameter tables of each
endpoint) and reworded for people who never read it. Which fields exist and which are
required lives in `bridge.perfex._reference_data`; this module only says what they mean.

A field's description is looked up in this order: the operation's own entry in
`BY_OPERATION`, the resource's entry in `BY_RESOURCE`, then `COMMON` (names that mean the
same thing everywhere). Allowed values follow the same order in `VALUES_BY_OPERATION`,
`VALUES_BY_RESOURCE` and `COMMON_VALUES`. Values marked "Perfex's defaults" are the lists
a fresh Perfex install ships with (the reference names the field but not its values); an
install can add its own, so a form shows them as suggestions.
"""

from __future__ import annotations

#: (value, label) pairs.
Values = tuple[tuple[str, str], ...]

_BOOL01: Values = (("1", "Yes"), ("0", "No"))
_ON: Values = (("on", "On"),)
_DISCOUNT: Values = (("before_tax", "Before tax"), ("after_tax", "After tax"))
_REPEAT_TYPE: Values = (
    ("day", "Days"),
    ("week", "Weeks"),
    ("month", "Months"),
    ("year", "Years"),
)
_DIRECTION: Values = (("ltr", "Left to right"), ("rtl", "Right to left"))

# --- values transcribed from the reference ("Allowed values: ...", "Must be one of: ...") ----
TASK_REL_TYPES: Values = (
    ("lead", "Lead"),
    ("customer", "Customer"),
    ("invoice", "Invoice"),
    ("project", "Project"),
    ("quotation", "Estimate (quotation)"),
    ("contract", "Contract"),
    ("annex", "Annex"),
    ("ticket", "Ticket"),
    ("expense", "Expense"),
    ("proposal", "Proposal"),
)
PROJECT_REL_TYPES: Values = (("lead", "Lead"), ("customer", "Customer"), ("internal", "Internal"))
PROPOSAL_REL_TYPES: Values = (("lead", "Lead"), ("customer", "Customer"))
ZAPIER_RESOURCES: Values = (
    ("customers", "Customers"),
    ("invoices", "Invoices"),
    ("leads", "Leads"),
    ("tasks", "Tasks"),
    ("tickets", "Tickets"),
)
COMMON_TYPES: Values = (
    ("expense_category", "Expense categories"),
    ("payment_mode", "Payment modes"),
    ("tax_data", "Taxes"),
)
CUSTOM_FIELD_OWNERS: Values = tuple(
    (name, name)
    for name in (
        "Company",
        "Leads",
        "Customers",
        "Contacts",
        "Staff",
        "Contracts",
        "Tasks",
        "Expenses",
        "Invoice",
        "Items",
        "Note",
        "Estimate",
        "Contract",
        "Proposal",
        "Projects",
        "Tickets",
    )
)
CONTACT_PERMISSIONS: Values = (
    ("1", "Invoices"),
    ("2", "Estimates"),
    ("3", "Contracts"),
    ("4", "Proposals"),
    ("5", "Support"),
    ("6", "Projects"),
)

# --- Perfex's defaults (fixed in Perfex's code, or seeded on install) ------------------------
TASK_PRIORITIES: Values = (("1", "Low"), ("2", "Medium"), ("3", "High"), ("4", "Urgent"))
TASK_STATUSES: Values = (
    ("1", "Not started"),
    ("4", "In progress"),
    ("3", "Testing"),
    ("2", "Awaiting feedback"),
    ("5", "Complete"),
)
TICKET_PRIORITIES: Values = (("1", "Low"), ("2", "Medium"), ("3", "High"))
TICKET_STATUSES: Values = (
    ("1", "Open"),
    ("2", "In progress"),
    ("3", "Answered"),
    ("4", "On hold"),
    ("5", "Closed"),
)
PROJECT_STATUSES: Values = (
    ("1", "Not started"),
    ("2", "In progress"),
    ("3", "On hold"),
    ("4", "Cancelled"),
    ("5", "Finished"),
)
PROJECT_BILLING_TYPES: Values = (("1", "Fixed rate"), ("2", "Project hours"), ("3", "Task hours"))
ESTIMATE_STATUSES: Values = (
    ("1", "Draft"),
    ("2", "Sent"),
    ("3", "Declined"),
    ("4", "Accepted"),
    ("5", "Expired"),
)
PROPOSAL_STATUSES: Values = (
    ("6", "Draft"),
    ("4", "Sent"),
    ("1", "Open"),
    ("5", "Revised"),
    ("2", "Declined"),
    ("3", "Accepted"),
)
INVOICE_STATUSES: Values = (
    ("1", "Unpaid"),
    ("2", "Paid"),
    ("3", "Partially paid"),
    ("4", "Overdue"),
    ("5", "Cancelled"),
    ("6", "Draft"),
)
REMINDER_TYPES: Values = (
    ("minutes", "Minutes"),
    ("hours", "Hours"),
    ("days", "Days"),
    ("weeks", "Weeks"),
)

#: Field names that mean the same on every endpoint that has them.
COMMON: dict[str, str] = {
    "id": "The record's id in Perfex (a number).",
    # The paging and filtering parameters every list takes on a current (v3) API module.
    "page": "Page number, from 1 (a page past the end answers the last page).",
    "per_page": "Records per page, 1 to 100.",
    "limit": "Records per page, with `page` (the same as per_page).",
    "sort": "Columns to sort by, comma separated; a leading - sorts descending: -id,name.",
    "fields": "Only these columns, comma separated: id,name,status.",
    "created_after": "Only records created on or after this date (YYYY-MM-DD).",
    "created_before": "Only records created on or before this date (YYYY-MM-DD).",
    "date_from": "Same as created_after.",
    "date_to": "Same as created_before.",
    "keysearch": "Words to search for.",
    "custom_fields": (
        "Values of custom fields, as {belongs to: {field id: value}}, "
        'e.g. {"invoice": {"1": "value"}}. Ids from Setup > Custom fields.'
    ),
    "name": "Name.",
    "subject": "Subject.",
    "title": "Title (for a person: the position).",
    "description": "Description.",
    "email": "E-mail address.",
    "phonenumber": "Phone number.",
    "default_language": "Language of e-mails and documents, e.g. english (empty: the system's).",
    "clientid": "Id of the customer.",
    "project_id": "Id of the project it belongs to.",
    "date": "Date (YYYY-MM-DD).",
    "duedate": "Due date (YYYY-MM-DD).",
    "currency": "Id of the currency (Setup > Finance > Currencies).",
    "number": "Document number; it must not be in use already.",
    "newitems": (
        "New line items: a list of {description, long_description, qty, rate, unit, "
        "order, taxname}."
    ),
    "items": "Existing line items to keep or change, each with its itemid.",
    "removed_items": "Ids of existing line items to remove.",
    "subtotal": "Sum of the items' quantity x rate, with their taxes.",
    "total": "Total after discount and adjustment.",
    "discount_type": "When the discount applies: before or after tax.",
    "tags": "Tags, comma separated.",
    "adminnote": "Note for staff only.",
    "clientnote": "Note shown to the customer.",
    "terms": "Terms and conditions shown on the document.",
    "note": "Note.",
    "status": "Status id.",
    "assigned": "Id of the staff member it is assigned to.",
    "hourly_rate": "Hourly rate.",
    "rel_type": "What kind of record it relates to.",
    "repeat_every_custom": "For a custom repeat: repeat every this many units.",
    "repeat_type_custom": "For a custom repeat: the unit (day, week, month, year).",
    "billing_street": "Billing address: street.",
    "billing_city": "Billing address: city.",
    "billing_state": "Billing address: state.",
    "billing_zip": "Billing address: zip code.",
    "billing_country": "Billing address: country id.",
    "shipping_street": "Shipping address: street.",
    "shipping_city": "Shipping address: city.",
    "shipping_state": "Shipping address: state.",
    "shipping_zip": "Shipping address: zip code.",
    "shipping_country": "Shipping address: country id.",
}

#: Field meanings particular to one resource (every action of it).
BY_RESOURCE: dict[str, dict[str, str]] = {
    "calendar": {
        "title": "Title of the event.",
        "description": "Description of the event.",
        "start": "When the event starts (YYYY-MM-DD HH:MM:SS).",
        "reminder_before_type": "Unit of the reminder time: minutes, hours, days or weeks.",
        "reminder_before": "Remind this many units before the start.",
        "userid": "Id of the staff member whose calendar it is.",
        "isstartnotified": "Whether the start was already notified: 1 yes, 0 no.",
        "public": "Whether every staff member sees it: 1 yes, 0 no.",
        "color": "Colour of the event, e.g. #28B8DA.",
    },
    "contacts": {
        "id": "Id of the contact.",
        "customer_id": "Id of the customer the contact belongs to.",
        "contact_id": "Id of the contact.",
        "firstname": "First name.",
        "lastname": "Last name.",
        "email": "E-mail address (must not belong to another contact).",
        "title": "Position in the company.",
        "direction": "Text direction: ltr or rtl.",
        "password": "Password (needed only with send_set_password_email).",
        "is_primary": "Make it the primary contact: 'on', or leave it out.",
        "donotsendwelcomeemail": "Do not send the welcome e-mail: 'on', or leave it out.",
        "send_set_password_email": "Send an e-mail to set a password: 'on', or leave it out.",
        "permissions": "Areas the contact may see in the customer portal (a list of ids).",
        "invoice_emails": "Send invoice e-mails: 'invoice_emails', or leave it out.",
        "estimate_emails": "Send estimate e-mails: 'estimate_emails', or leave it out.",
        "credit_note_emails": "Send credit note e-mails: 'credit_note_emails', or leave it out.",
        "project_emails": "Send project e-mails: 'project_emails', or leave it out.",
        "ticket_emails": "Send ticket e-mails: 'ticket_emails', or leave it out.",
        "task_emails": "Send task e-mails: 'task_emails', or leave it out.",
        "contract_emails": "Send contract e-mails: 'contract_emails', or leave it out.",
    },
    "contracts": {
        "subject": "Subject of the contract.",
        "datestart": "Start date (YYYY-MM-DD).",
        "dateend": "End date (YYYY-MM-DD).",
        "client": "Id of the customer.",
        "contract_type": "Id of the contract type.",
        "contract_value": "Value of the contract.",
        "description": "Description of the contract.",
        "content": "The contract's text.",
    },
    "credit_notes": {
        "date": "Date of the credit note (YYYY-MM-DD).",
        "number": "Credit note number; it must not be in use already.",
    },
    "custom_fields": {
        "belongs_to": "What the fields belong to: Leads, Customers, Invoice, Tasks, ...",
        "id": "Id of the record whose values to read.",
    },
    "customers": {
        "id": "Id of the customer.",
        "company": "Company name.",
        "vat": "VAT number.",
        "website": "Website address.",
        "groups_in": "Ids of the customer groups it belongs to.",
        "default_currency": "Id of the customer's currency (empty: the default).",
        "partnership_type": "Partnership type.",
        "address": "Street address.",
        "city": "City.",
        "state": "State.",
        "zip": "Zip code.",
        "country": "Country id.",
        "phonenumber": "Phone number.",
    },
    "estimates": {
        "number": "Estimate number; it must not be in use already.",
        "date": "Estimate date (YYYY-MM-DD).",
        "expirydate": "Expiry date (YYYY-MM-DD).",
        "status": "Status of the estimate.",
        "reference_no": "Your reference.",
        "sale_agent": "Id of the staff member who sells.",
        "include_shipping": "Include a shipping address: 'yes' (default: no).",
        "show_shipping_on_estimate": "Show the shipping address on the estimate.",
    },
    "expenses": {
        "category": "Id of the expense category (Setup > Finance > Expense categories).",
        "amount": "Amount.",
        "date": "Date of the expense (YYYY-MM-DD).",
        "expense_name": "Name of the expense.",
        "note": "Note about the expense.",
        "clientid": "Id of the customer it is billed to, if any.",
        "tax": "Id of the first tax.",
        "tax2": "Id of the second tax.",
        "paymentmode": "Id of the payment mode.",
        "reference_no": "Reference number (e.g. of the receipt).",
        "recurring": "Repeat every N months (0: no repeat; 'custom' with the custom fields).",
    },
    "invoices": {
        "number": "Invoice number; it must not be in use already.",
        "date": "Invoice date (YYYY-MM-DD).",
        "duedate": "Due date (YYYY-MM-DD).",
        "allowed_payment_modes": "Ids of the payment modes the customer may pay with.",
        "include_shipping": "Include a shipping address: 'yes' (default: no).",
        "show_shipping_on_invoice": "Show the shipping address on the invoice.",
        "cancel_overdue_reminders": "Do not send overdue reminders for this invoice.",
        "sale_agent": "Id of the staff member who sells.",
        "recurring": "Repeat every N months (0: no repeat; 'custom' with the custom fields).",
        "cycles": "How many times it repeats (0: forever).",
    },
    "items": {
        "id": "Id of the item.",
        "description": "Name of the item.",
        "long_description": "Longer description of the item.",
        "rate": "Price of one unit.",
        "tax": "Id of the first tax.",
        "tax2": "Id of the second tax.",
        "group_id": "Id of the item group.",
        "unit": "Unit, e.g. hours or pcs.",
    },
    "leads": {
        "id": "Id of the lead.",
        "name": "Name of the person.",
        "source": "Id of the lead source (Setup > Leads > Sources).",
        "status": "Id of the lead status (Setup > Leads > Statuses).",
        "assigned": "Id of the staff member responsible for the lead.",
        "client_id": "Id of the customer the lead came from, if any.",
        "contact": "Contact person.",
        "title": "Position of the person.",
        "email": "E-mail address.",
        "website": "Website address.",
        "company": "Company name.",
        "address": "Street address.",
        "city": "City.",
        "zip": "Zip code.",
        "state": "State.",
        "country": "Country id.",
        "description": "Notes about the lead.",
        "is_public": "Whether every staff member sees it: 1 yes, 0 no.",
        "custom_contact_date": "When you contacted them (with contacted_today off).",
        "contacted_today": "Contacted today: 'on', or leave it out.",
        "lastcontact": "When you last contacted them (YYYY-MM-DD HH:MM:SS).",
    },
    "milestones": {
        "project_id": "Id of the project.",
        "name": "Name of the milestone.",
        "due_date": "Due date (YYYY-MM-DD).",
        "description": "Description of the milestone.",
        "description_visible_to_customer": "Show the description to the customer: 1 yes, 0 no.",
        "milestone_order": "Position among the project's milestones.",
    },
    "payments": {
        "id": "Id of the payment.",
        "invoiceid": "Id of the invoice that was paid.",
        "amount": "Amount paid.",
        "paymentmode": "Id of the payment mode, e.g. bank transfer or Stripe (Setup > Finance).",
        "paymentmethod": "Details of the payment method.",
        "note": "Note about the payment.",
        "transactionid": "Transaction id (e.g. from the payment provider).",
    },
    "projects": {
        "name": "Name of the project.",
        "rel_type": "Who the project is for: a customer, a lead, or internal.",
        "clientid": "Id of the customer (or lead) it is for.",
        "billing_type": "How it is billed: fixed rate, project hours or task hours.",
        "start_date": "Start date (YYYY-MM-DD).",
        "deadline": "Deadline (YYYY-MM-DD).",
        "status": "Status of the project.",
        "progress_from_tasks": "Compute progress from the tasks: 'on' or 'off'.",
        "project_cost": "Total cost (fixed-rate billing).",
        "progress": "Progress in percent (when not computed from the tasks).",
        "project_rate_per_hour": "Rate per hour (project-hours billing).",
        "estimated_hours": "Estimated hours.",
        "project_members": "Ids of the staff members on the project.",
        "description": "Description of the project.",
    },
    "proposals": {
        "subject": "Subject of the proposal.",
        "rel_type": "Who it is for: a lead or a customer.",
        "rel_id": "Id of the lead or customer.",
        "proposal_to": "Name of the person or company it is addressed to.",
        "date": "Date of the proposal (YYYY-MM-DD).",
        "open_till": "Open until (YYYY-MM-DD).",
        "email": "E-mail address it is sent to.",
        "status": "Status of the proposal.",
        "assigned": "Id of the staff member responsible.",
    },
    "staffs": {
        "id": "Id of the staff member.",
        "firstname": "First name.",
        "lastname": "Last name.",
        "email": "E-mail address (the login).",
        "password": "Password.",
        "facebook": "Facebook profile.",
        "linkedin": "LinkedIn profile.",
        "skype": "Skype name.",
        "email_signature": "E-mail signature.",
        "direction": "Text direction: ltr or rtl.",
        "departments": "Ids of the departments they belong to.",
        "send_welcome_email": "Send the welcome e-mail: 'on', or leave it out.",
    },
    "subscriptions": {
        "name": "Name of the subscription.",
        "description": "Description.",
        "description_in_item": "Show the description on the invoice item: 1 yes, 0 no.",
        "clientid": "Id of the customer.",
        "date": "Start date (YYYY-MM-DD).",
        "terms": "Terms of the subscription.",
        "currency": "Id of the currency.",
        "tax_id": "Id of the first tax.",
        "tax_id_2": "Id of the second tax.",
        "stripe_tax_id_2": "Stripe id of the second tax.",
        "stripe_plan_id": "Stripe plan (price) id.",
        "stripe_subscription_id": "Stripe subscription id.",
        "next_billing_cycle": "Next billing time (unix time).",
        "ends_at": "End time (unix time).",
        "status": "Status, e.g. active.",
        "quantity": "Quantity.",
        "project_id": "Id of the project it belongs to.",
        "hash": "Unique hash of the subscription.",
        "created": "Created at (YYYY-MM-DD HH:MM:SS).",
        "created_from": "Id of the staff member who created it.",
        "date_subscribed": "When the customer subscribed (YYYY-MM-DD HH:MM:SS).",
        "in_test_environment": "Created in Stripe's test mode: 1 yes, 0 no.",
        "last_sent_at": "When it was last sent (YYYY-MM-DD HH:MM:SS).",
    },
    "tasks": {
        "id": "Id of the task.",
        "name": "Name of the task.",
        "startdate": "Start date (YYYY-MM-DD).",
        "duedate": "Deadline (YYYY-MM-DD).",
        "rel_type": "What the task is about: a project, a customer, a lead, a ticket, ...",
        "rel_id": "Id of that record (the project, customer, lead, ... named in rel_type).",
        "status": "Status of the task.",
        "priority": "Priority of the task.",
        "is_public": "Visible to every staff member: 1 yes, 0 no.",
        "billable": "Billable to the customer: 1 yes, 0 no.",
        "hourly_rate": "Hourly rate for billing.",
        "milestone": "Id of the project milestone.",
        "repeat_every": "Repeat, e.g. 1-week, 2-week, 1-month (empty: no repeat; custom).",
        "cycles": "How many times it repeats (0: forever).",
        "description": "Description of the task.",
        "assignees": "Ids of the staff members assigned: a list, or '1,2,3'.",
        "task_id": "Id of the task.",
        "item_id": "Id of the checklist item.",
    },
    "customtable": {
        "table": "Name of the custom table.",
        "id": "Id of the row.",
    },
    "tickets": {
        "id": "Id of the ticket.",
        "subject": "Subject of the ticket.",
        "department": "Id of the support department.",
        "contactid": "Id of the customer's contact who asks.",
        "userid": "Id of the customer.",
        "message": "The message.",
        "service": "Id of the service.",
        "assigned": "Id of the staff member assigned.",
        "cc": "E-mail addresses that get a copy (comma separated).",
        "priority": "Priority id of the ticket (Setup > Support > Ticket priorities).",
        "status": "Status id of the ticket (Setup > Support > Ticket statuses).",
        "page": "Page number (from 1).",
        "per_page": "Tickets per page.",
    },
    "timesheets": {
        "id": "Id of the timesheet entry.",
        "task_id": "Id of the task the time was spent on.",
        "start_time": "Start (YYYY-MM-DD HH:MM:SS).",
        "end_time": "End (YYYY-MM-DD HH:MM:SS).",
        "staff_id": "Id of the staff member.",
        "hourly_rate": "Hourly rate.",
        "note": "Note about the work.",
    },
}

#: Field meanings particular to one action.
BY_OPERATION: dict[str, dict[str, str]] = {
    "perfex.zapier.poll": {
        "resource": "What to poll: customers, invoices, leads, tasks or tickets.",
        "since": "Only records created since this unix time (default: the last 24 hours).",
        "limit": "At most this many records (default 50).",
    },
    "perfex.zapier.test": {"resource": "Which kind of record: customers, invoices, ..."},
    "perfex.zapier.route": {
        "method": "What to do: poll, test or resources.",
        "resource": "Which kind of record (for poll and test).",
    },
    "perfex.common.get": {"type": "Which list: expense_category, payment_mode or tax_data."},
    "perfex.contacts.delete": {"id": "Id of the contact."},
    "perfex.contacts.list": {"customer_id": "Id of the customer whose contacts to list."},
    "perfex.contacts.update": {"id": "Id of the contact."},
    "perfex.tasks.checklist_add": {
        "id": "Id of the task.",
        "description": "Text of the checklist item.",
        "assigned": "Id of the staff member who should do it.",
        "list_order": "Position in the checklist (default: last).",
    },
    "perfex.tasks.checklist_list": {"id": "Id of the task."},
    "perfex.tasks.checklist_update": {
        "description": "New text of the checklist item.",
        "finished": "Ticked: 1 yes, 0 no.",
        "assigned": "Id of the staff member who should do it.",
        "list_order": "Position in the checklist.",
    },
    "perfex.tickets.reply": {
        "id": "Id of the ticket to reply to.",
        "message": "Text of the reply.",
        "admin": "Id of the staff member who replies (leave out: the reply is the customer's).",
        "status": "Status of the ticket after the reply (default: Answered for staff).",
        "cc": "E-mail addresses that get a copy (comma separated).",
    },
}

#: Allowed values of fields by name, on every endpoint that has them.
COMMON_VALUES: dict[str, Values] = {
    "discount_type": _DISCOUNT,
    "repeat_type_custom": _REPEAT_TYPE,
}

#: Allowed values particular to one resource.
VALUES_BY_RESOURCE: dict[str, dict[str, Values]] = {
    "calendar": {"reminder_before_type": REMINDER_TYPES, "public": _BOOL01},
    "contacts": {"direction": _DIRECTION, "permissions": CONTACT_PERMISSIONS, "is_primary": _ON},
    "custom_fields": {"belongs_to": CUSTOM_FIELD_OWNERS},
    "estimates": {"status": ESTIMATE_STATUSES},
    "leads": {"is_public": _BOOL01},
    "milestones": {"description_visible_to_customer": _BOOL01},
    "projects": {
        "rel_type": PROJECT_REL_TYPES,
        "status": PROJECT_STATUSES,
        "billing_type": PROJECT_BILLING_TYPES,
        "progress_from_tasks": (("on", "On"), ("off", "Off")),
    },
    "proposals": {"rel_type": PROPOSAL_REL_TYPES, "status": PROPOSAL_STATUSES},
    "staffs": {"direction": _DIRECTION},
    "tasks": {
        "rel_type": TASK_REL_TYPES,
        "priority": TASK_PRIORITIES,
        "status": TASK_STATUSES,
        "is_public": _BOOL01,
        "billable": _BOOL01,
    },
    "tickets": {"priority": TICKET_PRIORITIES, "status": TICKET_STATUSES},
}

#: Allowed values particular to one action.
VALUES_BY_OPERATION: dict[str, dict[str, Values]] = {
    "perfex.zapier.poll": {"resource": ZAPIER_RESOURCES},
    "perfex.zapier.test": {"resource": ZAPIER_RESOURCES},
    "perfex.zapier.route": {
        "method": (("poll", "Poll"), ("test", "Test"), ("resources", "Resources")),
        "resource": ZAPIER_RESOURCES,
    },
    "perfex.common.get": {"type": COMMON_TYPES},
    "perfex.tasks.checklist_update": {"finished": _BOOL01},
}

#: Invoice statuses, for conditions on invoice events (`event.data.status`).
EVENT_FIELD_VALUES: dict[str, dict[str, Values]] = {
    "invoices": {"status": INVOICE_STATUSES},
    "estimates": {"status": ESTIMATE_STATUSES},
    "proposals": {"status": PROPOSAL_STATUSES},
    "projects": {"status": PROJECT_STATUSES},
    "tasks": {"status": TASK_STATUSES, "priority": TASK_PRIORITIES},
    "tickets": {"status": TICKET_STATUSES, "priority": TICKET_PRIORITIES},
}

#: Fields whose ids Perfex itself lists through an action: the builder can offer the
#: install's own values by running that action (field name -> action), per resource.
VALUES_FROM: dict[str, dict[str, str]] = {
    "payments": {"paymentmode": "perfex.common.payment_mode"},
    "expenses": {
        "paymentmode": "perfex.common.payment_mode",
        "category": "perfex.common.expense_category",
        "tax": "perfex.common.tax_data",
        "tax2": "perfex.common.tax_data",
    },
    "invoices": {"allowed_payment_modes": "perfex.common.payment_mode"},
    "items": {"tax": "perfex.common.tax_data", "tax2": "perfex.common.tax_data"},
    "subscriptions": {"tax_id": "perfex.common.tax_data", "tax_id_2": "perfex.common.tax_data"},
}

#: `<resource>.<field>` whose values above are Perfex's defaults that an install can extend
#: (Setup > Support): a form offers them as suggestions and still takes another id.
OPEN_VALUES: frozenset[str] = frozenset({"tickets.priority", "tickets.status"})
