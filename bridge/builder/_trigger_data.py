"""The words the catalogue uses for records, triggers and actions: data, not code.

Nouns name each Perfex resource (the API's path word) the way a person says it; the push
events are those of the Perfex API module's webhooks (v3) that polling cannot see,
mapped to event types as design.md says (`invoice_paid` -> `perfex.invoices.paid`).
"""

from __future__ import annotations

#: resource -> (singular, plural, group shown in the builder)
NOUNS: dict[str, tuple[str, str, str]] = {
    "calendar": ("calendar event", "calendar events", "Calendar"),
    "common": ("common data list", "common data lists", "Setup data"),
    "contacts": ("contact", "contacts", "Contacts"),
    "contracts": ("contract", "contracts", "Contracts"),
    "credit_notes": ("credit note", "credit notes", "Credit notes"),
    "custom_fields": ("custom field", "custom fields", "Custom fields"),
    "customers": ("customer", "customers", "Customers"),
    "customtable": ("custom table row", "custom table rows", "Custom tables"),
    "estimates": ("estimate", "estimates", "Estimates"),
    "expenses": ("expense", "expenses", "Expenses"),
    "invoices": ("invoice", "invoices", "Invoices"),
    "items": ("item", "items", "Items"),
    "knowledge_base": ("knowledge base article", "knowledge base articles", "Knowledge base"),
    "leads": ("lead", "leads", "Leads"),
    "milestones": ("milestone", "milestones", "Milestones"),
    "payments": ("payment", "payments", "Payments"),
    "projects": ("project", "projects", "Projects"),
    "proposals": ("proposal", "proposals", "Proposals"),
    "staffs": ("staff member", "staff members", "Staff"),
    "subscriptions": ("subscription", "subscriptions", "Subscriptions"),
    "tasks": ("task", "tasks", "Tasks"),
    "tickets": ("ticket", "tickets", "Tickets"),
    "timesheets": ("timesheet entry", "timesheet entries", "Timesheets"),
    "zapier": ("Zapier endpoint", "Zapier endpoints", "Polling"),
}

#: The resources with a list endpoint (perfex-module-v3): created, updated and deleted
#: events exist for each of them.
LIST_RESOURCES: tuple[str, ...] = (
    "calendar",
    "contracts",
    "credit_notes",
    "customers",
    "estimates",
    "expenses",
    "invoices",
    "items",
    "leads",
    "milestones",
    "payments",
    "projects",
    "proposals",
    "staffs",
    "subscriptions",
    "tasks",
    "tickets",
    "timesheets",
)

#: Resources the Zapier poll endpoint serves: their `created` events come within one poll.
ZAPIER_RESOURCES: tuple[str, ...] = ("customers", "invoices", "leads", "tasks", "tickets")

#: How a `created` event reads, where "A new <noun> is added" is not how people say it.
CREATED_TITLES: dict[str, str] = {
    "calendar": "A calendar event is added in Perfex",
    "payments": "A payment is recorded in Perfex",
    "tickets": "A new ticket is opened in Perfex",
    "staffs": "A new staff member is added in Perfex",
    "timesheets": "Time is logged on a task in Perfex",
    "credit_notes": "A credit note is issued in Perfex",
}

#: Push-only events: (resource, what) -> title. Titles read "A ... in Perfex".
PUSH_EVENTS: dict[tuple[str, str], str] = {
    ("customers", "status_changed"): "A customer is activated or deactivated in Perfex",
    ("contacts", "created"): "A contact is added to a customer in Perfex",
    ("contacts", "updated"): "A contact is changed in Perfex",
    ("contacts", "deleted"): "A contact is deleted in Perfex",
    ("leads", "assigned"): "A lead is assigned to someone in Perfex",
    ("leads", "converted"): "A lead becomes a customer in Perfex",
    ("leads", "status_changed"): "A lead's status changes in Perfex",
    ("leads", "marked_lost"): "A lead is marked as lost in Perfex",
    ("leads", "note_added"): "A note is added to a lead in Perfex",
    ("invoices", "sent"): "An invoice is sent to the customer",
    ("invoices", "paid"): "An invoice is paid in full",
    ("invoices", "partially_paid"): "An invoice is partly paid",
    ("invoices", "overdue"): "An invoice becomes overdue",
    ("invoices", "status_changed"): "An invoice's status changes in Perfex",
    ("invoices", "cancelled"): "An invoice is cancelled in Perfex",
    ("estimates", "sent"): "An estimate is sent to the customer",
    ("estimates", "accepted"): "A customer accepts an estimate",
    ("estimates", "declined"): "A customer declines an estimate",
    ("estimates", "expired"): "An estimate expires",
    ("estimates", "converted_to_invoice"): "An estimate is turned into an invoice",
    ("proposals", "sent"): "A proposal is sent",
    ("proposals", "accepted"): "A proposal is accepted",
    ("proposals", "declined"): "A proposal is declined",
    ("proposals", "expired"): "A proposal expires",
    ("credit_notes", "applied"): "A credit note is applied to an invoice",
    ("credit_notes", "refunded"): "A credit note is refunded",
    ("projects", "status_changed"): "A project's status changes in Perfex",
    ("projects", "completed"): "A project is finished",
    ("projects", "member_added"): "Someone joins a project",
    ("projects", "member_removed"): "Someone leaves a project",
    ("tasks", "assigned"): "A task is assigned to someone",
    ("tasks", "status_changed"): "A task's status changes in Perfex",
    ("tasks", "completed"): "A task is completed",
    ("tasks", "comment_added"): "Someone comments on a task",
    ("tasks", "timer_started"): "A task's timer is started",
    ("tasks", "timer_stopped"): "A task's timer is stopped",
    ("tickets", "reply_created"): "A ticket gets a reply",
    ("tickets", "status_changed"): "A ticket's status changes in Perfex",
    ("tickets", "assigned"): "A ticket is assigned to someone",
    ("tickets", "closed"): "A ticket is closed",
    ("tickets", "reopened"): "A ticket is reopened",
    ("contracts", "signed"): "A customer signs a contract",
    ("contracts", "renewed"): "A contract is renewed",
    ("contracts", "expired"): "A contract expires",
    ("contracts", "comment_added"): "Someone comments on a contract",
    ("subscriptions", "cancelled"): "A subscription is cancelled",
    ("subscriptions", "renewed"): "A subscription is renewed",
    ("knowledge_base", "created"): "A knowledge base article is published",
    ("knowledge_base", "updated"): "A knowledge base article is changed",
    ("knowledge_base", "deleted"): "A knowledge base article is deleted",
}

#: Events the bridge itself emits: type -> (title, description, data fields).
SYSTEM_EVENTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "bridge.run.dead_lettered": (
        "A rule's run fails for good (moved to the dead-letter queue)",
        "After the last retry; rules on this event never fire for their own failures.",
        ("run_id", "rule", "event_id", "event_type", "error"),
    ),
    "bridge.poller.stopped": (
        "The bridge stops reading from Perfex",
        "Perfex refused the token, or polling has failed for more than 10 minutes.",
        ("resource", "error"),
    ),
    "bridge.poller.gap": (
        "The bridge may have missed Perfex records",
        "A poll page came back full: more records were created than one poll returns.",
        ("resource", "since", "limit"),
    ),
}

#: Inbound verification schemes, with the sender's name for titles.
SCHEMES: dict[str, str] = {
    "none": "no check (anyone who knows the URL)",
    "token": "a shared token (Authorization: Bearer or ?token=)",
    "basic": "HTTP basic auth (username and password)",
    "hmac": "an HMAC signature in a header you name",
    "github": "GitHub's signature (X-Hub-Signature-256)",
    "stripe": "Stripe's signature (Stripe-Signature)",
    "slack": "Slack's signature (X-Slack-Signature)",
    "standard": "Standard Webhooks (webhook-signature)",
    "perfex": "the Perfex API module's signature (X-Perfex-Signature)",
}
SENDERS: dict[str, str] = {
    "github": "GitHub",
    "stripe": "Stripe",
    "slack": "Slack",
    "perfex": "Perfex",
    "standard": "signed",
}
#: Well-known sub-types per scheme, for hooks with an `event:` template.
SUB_TYPES: dict[str, tuple[str, ...]] = {
    "github": ("issues", "issue_comment", "pull_request", "push", "release"),
    "stripe": (
        "invoice.paid",
        "invoice.payment_failed",
        "payment_intent.succeeded",
        "charge.refunded",
        "customer.subscription.created",
        "customer.subscription.deleted",
    ),
}

#: Ready-made schedules the builder offers (design.md: `schedule: {cron | every}`).
SCHEDULE_PRESETS: tuple[tuple[str, dict[str, str]], ...] = (
    ("Every Monday at 9:00", {"cron": "0 9 * * 1"}),
    ("Every weekday at 8:00", {"cron": "0 8 * * 1-5"}),
    ("Every day at 18:00", {"cron": "0 18 * * *"}),
    ("On the first day of every month at 9:00", {"cron": "0 9 1 * *"}),
    ("Every hour", {"every": "1h"}),
    ("Every 15 minutes", {"every": "15m"}),
)
