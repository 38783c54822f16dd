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
