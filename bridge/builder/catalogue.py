"""The builder's catalogue: every trigger and every action, in people's words.

    catalogue = build_catalogue(ruleset)      # {"triggers": [...], "actions": [...]}

A trigger is an event type the bridge can produce:

    {"type": "perfex.leads.created", "title": "A new lead is added in Perfex",
     "group": "Leads", "kind": "perfex" | "push" | "schedule" | "webhook" | "new_hook" | "system",
     "description": "...", "needs": "...", "fields": ["id", "name", ...]}

(`fields` are the names under `event.data` in a typical event; an `updated` trigger has
`"changes": true` for `event.changes`; `schedule` also carries `presets`, `new_hook`
carries `schemes`, a loaded hook's trigger carries `hook` and `verify`, and `"pattern":
true` when its type is a glob such as `webhook.github.*`.) An action is something a step does:

    {"name": "perfex.tasks.create", "title": "Create a task in Perfex", "group": "Tasks",
     "kind": "perfex" | "webhook" | "flow", "method": "POST", "path": "/tasks",
     "description": "...", "returns_id": null,
     "required": ["name", "startdate", "rel_type"], "optional": [...],
     "fields": {"rel_type": {"description": "...", "required": true, "in": "body",
                             "values": [{"value": "project", "label": "Project"}]}}}

(`values_from` names the action that lists a field's ids in this Perfex install, e.g.
`perfex.common.payment_mode` for a payment's `paymentmode`; `"values_open": true` marks
values that are Perfex's defaults an install may extend, to offer as suggestions.)

Everything but the loaded hooks is built once per process (`static_catalogue`), from the
operation catalogue (`bridge.perfex.catalogue`) and the data modules beside this one; the
dicts handed out are shared, so callers must not change them.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from bridge.builder import _action_docs as docs
from bridge.builder import _trigger_data as words
from bridge.builder.reference_samples import reference_event, reference_record
from bridge.perfex.catalogue import OPERATIONS, Operation
from bridge.rules.model import Ruleset

logger = logging.getLogger("bridge.builder.catalogue")

#: Actions of one group are listed in this order of their verbs (others after them).
_VERB_ORDER = {"create": 0, "reply": 1, "update": 2, "get": 3, "search": 4, "list": 5, "delete": 8}
#: Every kind a trigger can have.
TRIGGER_KINDS = ("perfex", "push", "schedule", "webhook", "new_hook", "system")


def build_catalogue(ruleset: Ruleset | None) -> dict[str, list[dict[str, Any]]]:
    """Triggers and actions; the triggers include one per hook that `ruleset` defines."""
    static = static_catalogue()
    hooks = hook_triggers(ruleset)
    triggers = list(static["triggers"])
    at = next(i for i, t in enumerate(triggers) if t["kind"] == "new_hook")
    triggers[at:at] = hooks
    return {"triggers": triggers, "actions": list(static["actions"])}


@cache
def static_catalogue() -> dict[str, tuple[dict[str, Any], ...]]:
    """The part of the catalogue that does not depend on the loaded rules (built once)."""
    perfex = sorted(
        (perfex_action(op) for op in OPERATIONS.values()),
        key=lambda a: (a["group"], _VERB_ORDER.get(a["name"].rsplit(".", 1)[1], 9), a["name"]),
    )
    actions = (*_FLOW_ACTIONS, *perfex)
    triggers = tuple(
        [*_perfex_triggers(), _schedule_trigger(), _new_hook_trigger(), *_system_triggers()]
    )
    logger.debug("catalogue built: %d triggers, %d actions", len(triggers), len(actions))
    return {"triggers": triggers, "actions": actions}


def trigger_types(ruleset: Ruleset | None) -> set[str]:
    """Every concrete event type of the catalogue (no patterns), for checking a request."""
    out = set(_static_types())
    for trigger in hook_triggers(ruleset):
        if not trigger.get("pattern"):
            out.add(trigger["type"])
    return out


def known_event_type(event_type: str, ruleset: Ruleset | None) -> bool:
    """Whether the bridge can produce `event_type`: a catalogue trigger, a sub-type of a
    hook with an `event:` template, `schedule` (a scheduled rule being built) or
    `schedule.<rule>` of a scheduled rule."""
    if event_type == "schedule":
        return True
    if event_type in _static_types() or event_type in trigger_types(ruleset):
        return True
    parts = event_type.split(".")
    if ruleset is None or len(parts) < 2:
        return False
    if parts[0] == "webhook" and len(parts) > 2:
        hook = ruleset.hooks.get(parts[1])
        return hook is not None and hook.event is not None
    if parts[0] == "schedule" and len(parts) >= 2:
        name = event_type.removeprefix("schedule.")
        return any(rule.name == name and rule.schedule is not None for rule in ruleset.rules)
    return False


@cache
def _static_types() -> frozenset[str]:
    return frozenset(
        t["type"]
        for t in static_catalogue()["triggers"]
        if t["kind"] in ("perfex", "push", "system")
    )


def find_action(name: str) -> dict[str, Any] | None:
    """The catalogue entry of one action, or None."""
    return _actions_by_name().get(name)


@cache
def _actions_by_name() -> dict[str, dict[str, Any]]:
    return {action["name"]: action for action in static_catalogue()["actions"]}


# --- actions ------------------------------------------------------------------------------


def perfex_action(op: Operation) -> dict[str, Any]:
    """The catalogue entry of one Perfex operation."""
    resource = op.resource
    fields: dict[str, dict[str, Any]] = {}
    for name in op.path_params:
        fields[name] = _field(op, name, required=True, where="path")
    for name in op.required:
        fields[name] = _field(op, name, required=True, where=_where(op))
    for name in op.optional:
        if name not in fields:
            fields[name] = _field(op, name, required=False, where=_where(op))
    return {
        "name": op.name,
        "title": action_title(op),
        "group": group_of(resource),
        "kind": "perfex",
        "method": op.method,
        "path": op.path,
        "description": op.summary,
        "required": [*op.path_params, *op.required],
        "optional": [name for name in op.optional if name not in op.path_params],
        "fields": fields,
        "returns_id": op.returns_id,
    }


def action_title(op: Operation) -> str:
    """How a person names the action: "Create a task in Perfex"."""
    special = _SPECIAL_TITLES.get(op.name)
    if special:
        return special
    one, many, _ = words.NOUNS.get(op.resource, (op.resource, op.resource, op.resource))
    return {
        "create": f"Create {_a(one)} in Perfex",
        "get": f"Look up {_a(one)} in Perfex",
        "list": f"List all {many} in Perfex",
        "search": f"Search {many} in Perfex",
        "update": f"Update {_a(one)} in Perfex",
        "delete": f"Delete {_a(one)} in Perfex",
    }.get(op.verb, f"{op.verb.replace('_', ' ').capitalize()} {many} in Perfex")


def field_description(op: Operation, name: str) -> str | None:
    """What one field of an operation means, or None when the data has no word for it."""
    for table in (
        docs.BY_OPERATION.get(op.name, {}),
        docs.BY_RESOURCE.get(op.resource, {}),
        docs.COMMON,
    ):
        if name in table:
            return table[name]
    return None


def field_values(op: Operation, name: str) -> docs.Values | None:
    """The allowed values of one field, where the reference (or Perfex) fixes them."""
    for table in (
        docs.VALUES_BY_OPERATION.get(op.name, {}),
        docs.VALUES_BY_RESOURCE.get(op.resource, {}),
        docs.COMMON_VALUES,
    ):
        if name in table:
            return table[name]
    return None


def _field(op: Operation, name: str, *, required: bool, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": field_description(op, name) or name.replace("_", " ").capitalize() + ".",
        "required": required,
        "in": where,
    }
    values = field_values(op, name)
    if values:
        out["values"] = [{"value": value, "label": label} for value, label in values]
        if f"{op.resource}.{name}" in docs.OPEN_VALUES:
            out["values_open"] = True
    source = docs.VALUES_FROM.get(op.resource, {}).get(name)
    if source:
        out["values_from"] = source
    return out


def _where(op: Operation) -> str:
    return {"form": "body", "json": "body", "query": "query"}.get(op.body, "body")


_SPECIAL_TITLES: dict[str, str] = {
    "perfex.tickets.create": "Open a ticket in Perfex",
    "perfex.tickets.reply": "Reply to a ticket",
    "perfex.payments.create": "Record a payment in Perfex",
    "perfex.contacts.create": "Add a contact to a customer in Perfex",
    "perfex.contacts.list": "List a customer's contacts in Perfex",
    "perfex.tasks.checklist_add": "Add a checklist item to a task",
    "perfex.tasks.checklist_list": "List a task's checklist",
    "perfex.tasks.checklist_update": "Update a task's checklist item",
    "perfex.tasks.checklist_delete": "Delete a task's checklist item",
    "perfex.zapier.resources": "List the kinds of records Perfex can be polled for",
    "perfex.zapier.poll": "Read recently created records from Perfex",
    "perfex.zapier.test": "Read a sample record from Perfex",
    "perfex.zapier.route": "Call one of Perfex's Zapier endpoints",
    "perfex.common.get": "Read a list of Perfex's setup data",
    "perfex.common.expense_category": "List Perfex's expense categories",
    "perfex.common.payment_mode": "List Perfex's payment modes",
    "perfex.common.tax_data": "List Perfex's taxes",
    "perfex.custom_fields.get": "Read a record's custom field values",
    "perfex.custom_fields.list": "List the custom fields of a kind of record",
    "perfex.customtable.create": "Add a row to a custom table",
    "perfex.customtable.list": "List the rows of a custom table",
    "perfex.customtable.get": "Look up a row of a custom table",
    "perfex.customtable.update": "Update a row of a custom table",
    "perfex.customtable.delete": "Delete a row of a custom table",
}


_METHODS = ("POST", "PUT", "PATCH", "DELETE", "GET")


def _flow_field(description: str, required: bool, **extra: Any) -> dict[str, Any]:
    return {"description": description, "required": required, "in": "step", **extra}


_FLOW_ACTIONS: tuple[dict[str, Any], ...] = (
    {
        "name": "webhook",
        "title": "Send a webhook",
        "group": "Web",
        "kind": "webhook",
        "method": "POST",
        "path": None,
        "description": (
            "Send an HTTP request to another service (a chat channel, a spreadsheet, your "
            "own app). With a secret it is signed with Standard Webhooks headers."
        ),
        "required": ["url"],
        "optional": ["body", "method", "headers", "secret", "timeout"],
        "fields": {
            "url": _flow_field(
                "Where to send it. A URL with a token in it is a secret: give it as "
                "${VARIABLE} (an environment variable).",
                True,
            ),
            "body": _flow_field("What to send: text, or a mapping sent as JSON.", False),
            "method": _flow_field(
                "HTTP method (default POST).",
                False,
                values=[{"value": m, "label": m} for m in _METHODS],
            ),
            "headers": _flow_field("Extra request headers (name: value).", False),
            "secret": _flow_field(
                "Signing secret, as ${VARIABLE}: the receiver checks the signature.", False
            ),
            "timeout": _flow_field("Seconds to wait for an answer (up to 300).", False),
        },
        "returns_id": None,
    },
    {
        "name": "delay",
        "title": "Wait before the next step",
        "group": "Flow",
        "kind": "flow",
        "method": None,
        "path": None,
        "description": (
            "Pause the run, then go on with the next step. Give `delay` (30s, 5m, 2h, 2d) "
            "or `delay_until` (an ISO time); the run waits without holding a worker."
        ),
        "required": [],
        "optional": ["delay", "delay_until"],
        "fields": {
            "delay": _flow_field("How long to wait: 30s, 5m, 2h or 2d.", False),
            "delay_until": _flow_field(
                "Wait until this time (ISO 8601, e.g. 2026-12-24T09:00:00Z).", False
            ),
        },
        "returns_id": None,
    },
    {
        "name": "for_each",
        "title": "Repeat steps for each item of a list",
        "group": "Flow",
        "kind": "flow",
        "method": None,
        "path": None,
        "description": (
            "Run the nested steps once per item of a list (e.g. the rows an earlier step "
            "read); inside them the item is `item`. Each item is a run of its own."
        ),
        "required": ["for_each", "do"],
        "optional": ["max_items"],
        "fields": {
            "for_each": _flow_field("The list, e.g. {{ steps.invoices.body }}.", True),
            "max_items": _flow_field(
                "At most this many items (default 1000); more fails the step.", False
            ),
            "do": _flow_field("The steps to run for each item.", True),
        },
        "returns_id": None,
    },
)


# --- triggers -----------------------------------------------------------------------------


def group_of(resource: str) -> str:
    """The builder's group for a resource: "Tasks", "Credit notes"."""
    noun = words.NOUNS.get(resource)
    return noun[2] if noun else resource.replace("_", " ").capitalize()


def _perfex_triggers() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    resources = sorted(
        set(words.LIST_RESOURCES) | {r for r, _ in words.PUSH_EVENTS},
        key=lambda r: group_of(r),
    )
    for resource in resources:
        fields = _record_fields(resource)
        if resource in words.LIST_RESOURCES:
            for what in ("created", "updated", "deleted"):
                out.append(_change_trigger(resource, what, fields))
        for (res, what), title in words.PUSH_EVENTS.items():
            if res == resource:
                out.append(_push_trigger(resource, what, title, fields))
    return out


def _change_trigger(resource: str, what: str, fields: list[str]) -> dict[str, Any]:
    one, _, group = words.NOUNS[resource]
    if what == "created":
        title = words.CREATED_TITLES.get(resource, f"A new {one} is added in Perfex")
        if resource in words.ZAPIER_RESOURCES:
            how = "Seen by the next poll of Perfex (every BRIDGE_POLL_INTERVAL seconds)"
        else:
            how = "Seen by the next pass over Perfex's list (every BRIDGE_RECONCILE_INTERVAL s)"
        description = f"{how}, or at once when Perfex pushes it."
    elif what == "updated":
        title = f"{_a(one, capital=True)} is changed in Perfex"
        description = (
            "A field of the record changed; `event.changes` holds {field: [old, new]}. Seen "
            "by the list pass (every BRIDGE_RECONCILE_INTERVAL s) or pushed at once."
        )
    else:
        title = f"{_a(one, capital=True)} is deleted in Perfex"
        description = "The record vanished from its list in Perfex, or Perfex pushed its deletion."
    return {
        "type": f"perfex.{resource}.{what}",
        "title": title,
        "group": group,
        "kind": "perfex",
        "description": description,
        "needs": (
            f"BRIDGE_PERFEX_URL and BRIDGE_PERFEX_TOKEN, and '{resource}' in BRIDGE_POLL_RESOURCES."
        ),
        "fields": fields,
        **({"changes": True} if what == "updated" else {}),
    }


def _push_trigger(resource: str, what: str, title: str, fields: list[str]) -> dict[str, Any]:
    return {
        "type": f"perfex.{resource}.{what}",
        "title": title,
        "group": group_of(resource),
        "kind": "push",
        "description": (
            "Pushed by Perfex as it happens (polling cannot see it); the bridge reads the "
            "whole record before the rule runs."
        ),
        "needs": (
            "The Perfex API module's webhooks (v3): a `verify: perfex` hook, registered "
            "with `bridge perfex webhooks register`."
        ),
        "fields": fields,
    }


def _schedule_trigger() -> dict[str, Any]:
    return {
        "type": "schedule",
        "title": "On a schedule (for example every Monday at 9:00)",
        "group": "Schedule",
        "kind": "schedule",
        "description": (
            "The rule runs by the clock: a cron line with a timezone, or every N seconds, "
            "minutes, hours or days. Once per tick, however many bridges run."
        ),
        "needs": "Nothing: give the rule a `schedule:`.",
        "fields": ["scheduled_for", "rule"],
        "presets": [
            {"title": title, "schedule": dict(schedule)}
            for title, schedule in words.SCHEDULE_PRESETS
        ],
    }


def _new_hook_trigger() -> dict[str, Any]:
    return {
        "type": "webhook.{name}",
        "title": "A webhook arrives from another service (a new inbound URL)",
        "group": "Webhooks",
        "kind": "new_hook",
        "description": (
            "Creates the hook too: POST /hooks/<name> accepts the sender's requests once "
            "their signature checks out; each becomes the event webhook.<name>."
        ),
        "needs": "A name, how requests are verified, and the environment variable with the secret.",
        "fields": [],
        "schemes": list(words.SCHEMES),
        "scheme_titles": dict(words.SCHEMES),
    }


def _system_triggers() -> list[dict[str, Any]]:
    return [
        {
            "type": kind,
            "title": title,
            "group": "The bridge itself",
            "kind": "system",
            "description": description,
            "needs": "Nothing: the bridge emits it.",
            "fields": list(fields),
        }
        for kind, (title, description, fields) in words.SYSTEM_EVENTS.items()
    ]


def hook_triggers(ruleset: Ruleset | None) -> list[dict[str, Any]]:
    """One trigger per inbound hook of the loaded rules (and its well-known sub-types)."""
    if ruleset is None:
        return []
    out: list[dict[str, Any]] = []
    for name, hook in ruleset.hooks.items():
        scheme = str(hook.verify)
        sender = words.SENDERS.get(scheme, "")
        base = {
            "group": "Webhooks",
            "kind": "webhook",
            "hook": name,
            "verify": scheme,
            "description": hook.description
            or f"POST /hooks/{name}, checked with {words.SCHEMES.get(scheme, scheme)}.",
            "needs": f"The sender posts to /hooks/{name}.",
            "fields": [],
        }
        sample = reference_event(f"webhook.{name}", verify=scheme)["data"]
        if hook.event is None:
            title = f"A {sender + ' ' if sender else ''}webhook arrives on /hooks/{name}"
            out.append({"type": f"webhook.{name}", "title": title, **base, "fields": list(sample)})
            continue
        out.append(
            {
                "type": f"webhook.{name}.*",
                "title": f"Any {sender + ' ' if sender else ''}webhook arrives on /hooks/{name}",
                **base,
                "pattern": True,
            }
        )
        for sub in words.SUB_TYPES.get(scheme, ()):
            body = reference_event(f"webhook.{name}.{sub}", verify=scheme)["data"]
            out.append(
                {
                    "type": f"webhook.{name}.{sub}",
                    "title": f"A {sender} '{sub}' webhook arrives on /hooks/{name}",
                    **base,
                    "fields": list(body),
                }
            )
    return out


def _record_fields(resource: str) -> list[str]:
    record = reference_record(resource)
    return list(record) if isinstance(record, dict) else []


def _a(noun: str, *, capital: bool = False) -> str:
    article = "an" if noun[:1].lower() in "aeio" else "a"
    if capital:
        article = article.capitalize()
    return f"{article} {noun}"
