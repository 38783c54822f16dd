"""Module event names (`<thing>_<what happened>`) to the bridge's `perfex.<resource>.<what>`.

`<resource>` is the API's path word (design.md): invoice -> invoices, credit_note ->
credit_notes, staff -> staffs, calendar_event -> calendar, kb_article -> knowledge_base;
what follows the thing is `<what>`, so ticket_reply_created is perfex.tickets.reply_created
and client_status_changed perfex.customers.status_changed. The longest known thing wins
(credit_note_created is a credit note, not a "credit"). A name with no known thing keeps
its first word, pluralised: api_key_created -> perfex.api_keys.created.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("bridge.push.mapping")

#: Module thing -> (API path word, prefix added to <what>).
THINGS: dict[str, tuple[str, str]] = {
    "customer": ("customers", ""),
    "client": ("customers", ""),
    "contact": ("contacts", ""),
    "lead": ("leads", ""),
    "invoice": ("invoices", ""),
    "estimate": ("estimates", ""),
    "proposal": ("proposals", ""),
    "credit_note": ("credit_notes", ""),
    "payment": ("payments", ""),
    "project": ("projects", ""),
    "task": ("tasks", ""),
    "ticket": ("tickets", ""),
    "contract": ("contracts", ""),
    "expense": ("expenses", ""),
    "item": ("items", ""),
    "staff": ("staffs", ""),
    "milestone": ("milestones", ""),
    "subscription": ("subscriptions", ""),
    "timesheet": ("timesheets", ""),
    "calendar_event": ("calendar", ""),
    "kb_article": ("knowledge_base", ""),
    "kb_group": ("knowledge_base", "group_"),
    "note": ("notes", ""),
    "api_key": ("api_keys", ""),
    "webhook": ("webhooks", ""),
}
#: Longest first, so "credit_note" is tried before anything shorter.
_ORDER = sorted(THINGS, key=len, reverse=True)
NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def map_event(name: str) -> tuple[str, str] | None:
    """(resource, what) for a module event name; None when the name is malformed."""
    if not NAME.match(name):
        return None
    for thing in _ORDER:
        if name.startswith(thing + "_") and len(name) > len(thing) + 1:
            resource, prefix = THINGS[thing]
            return resource, prefix + name[len(thing) + 1 :]
    head, sep, rest = name.partition("_")
    if not sep or not rest:
        return None
    return head + "s", rest


def event_type(name: str) -> str | None:
    """`perfex.<resource>.<what>` for a module event name, or None."""
    mapped = map_event(name)
    return f"perfex.{mapped[0]}.{mapped[1]}" if mapped else None


#: The module's event names (its catalogue, perfex-module-v3 facts), by thing.
MODULE_EVENTS: dict[str, tuple[str, ...]] = {
    "customer": ("created", "updated", "deleted"),
    "client": ("status_changed",),
    "contact": ("created", "updated", "deleted"),
    "lead": ("created", "updated", "deleted", "assigned", "converted", "status_changed",
             "marked_lost", "note_added"),
    "invoice": ("created", "updated", "deleted", "sent", "paid", "partially_paid", "overdue",
                "status_changed", "cancelled"),
    "estimate": ("created", "updated", "deleted", "sent", "accepted", "declined", "expired",
                 "converted_to_invoice"),
    "proposal": ("created", "updated", "deleted", "sent", "accepted", "declined", "expired"),
    "credit_note": ("created", "updated", "deleted", "applied", "refunded"),
    "payment": ("created", "updated", "deleted"),
    "project": ("created", "updated", "deleted", "status_changed", "completed",
                "member_added", "member_removed"),
    "task": ("created", "updated", "deleted", "assigned", "status_changed", "completed",
             "comment_added", "timer_started", "timer_stopped"),
    "ticket": ("created", "updated", "deleted", "reply_created", "status_changed", "assigned",
               "closed", "reopened"),
    "contract": ("created", "updated", "deleted", "signed", "renewed", "expired",
                 "comment_added"),
    "expense": ("created", "updated", "deleted"),
    "item": ("created", "updated", "deleted"),
    "staff": ("created", "updated", "deleted"),
    "milestone": ("created", "updated", "deleted"),
    "subscription": ("created", "updated", "deleted", "cancelled", "renewed"),
    "timesheet": ("created", "updated", "deleted"),
    "calendar_event": ("created", "updated", "deleted"),
    "kb_article": ("created", "updated", "deleted"),
    "kb_group": ("created", "updated", "deleted"),
    "note": ("created", "updated", "deleted"),
}  # fmt: skip


def push_event_types() -> frozenset[str]:
    """Every event type a push of a catalogued module event becomes (for `rules check`)."""
    return frozenset(
        t
        for thing, whats in MODULE_EVENTS.items()
        for what in whats
        if (t := event_type(f"{thing}_{what}")) is not None
    )
