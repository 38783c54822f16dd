"""The builder's catalogue: every trigger and action, in words, consistent with the engine."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bridge.builder import _action_docs as docs
from bridge.builder import _trigger_data as words
from bridge.builder.catalogue import (
    TRIGGER_KINDS,
    build_catalogue,
    field_description,
    find_action,
    known_event_type,
    static_catalogue,
)
from bridge.perfex.catalogue import OPERATIONS
from bridge.rules.loader import Source, load_sources
from bridge.rules.matching import known_types
from bridge.rules.model import Ruleset

HOOKS_YAML = """
hooks:
  - name: github
    verify: github
    secret: gh-secret
    event: "{{ headers['x-github-event'] }}"
  - name: shop
    verify: token
    secret: shop-token
    description: Orders from the web shop
rules:
  - name: weekly
    on: webhook.shop
    do:
      - webhook: {url: "https://example.com/x"}
  - name: monday
    on: schedule
    schedule: {cron: "0 9 * * 1"}
    do:
      - webhook: {url: "https://example.com/m"}
"""


def _ruleset() -> Ruleset:
    ruleset = load_sources([Source("hooks.yml", HOOKS_YAML)], environ={})
    assert ruleset.rule("monday") is not None, ruleset.warnings  # a real `on: schedule` rule
    return ruleset


def _actions() -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in build_catalogue(None)["actions"]}


def _triggers(ruleset: Ruleset | None = None) -> dict[str, dict[str, Any]]:
    return {t["type"]: t for t in build_catalogue(ruleset)["triggers"]}


def test_every_perfex_operation_has_an_action_with_a_title() -> None:
    """Each perfex.* operation of the operation catalogue is an action with a human title."""
    actions = _actions()
    assert set(OPERATIONS) <= set(actions)
    for name, op in OPERATIONS.items():
        title = actions[name]["title"]
        assert title and "_" not in title and "perfex." not in title, (name, title)
        assert actions[name]["method"] == op.method and actions[name]["path"] == op.path


def test_every_field_of_every_operation_is_described_from_the_data() -> None:
    """Every path parameter, required and optional field has a description in the data module."""
    missing = [
        f"{name}.{field}"
        for name, op in OPERATIONS.items()
        for field in (*op.path_params, *op.required, *op.optional)
        if field_description(op, field) is None
    ]
    assert missing == []


def test_required_and_optional_match_the_operation_catalogue() -> None:
    """An action's required list is its path parameters plus the operation's required fields."""
    actions = _actions()
    for name, op in OPERATIONS.items():
        action = actions[name]
        assert action["required"] == [*op.path_params, *op.required]
        assert set(action["optional"]) == set(op.optional) - set(op.path_params)
        for field in action["required"]:
            assert action["fields"][field]["required"] is True
            assert action["fields"][field]["description"]
        for field in action["optional"]:
            assert action["fields"][field]["required"] is False


def test_issue_titles_are_spoken_as_people_say_them() -> None:
    """The titles the issue names read exactly so."""
    actions, triggers = _actions(), _triggers(_ruleset())
    assert actions["perfex.tasks.create"]["title"] == "Create a task in Perfex"
    assert actions["perfex.tickets.reply"]["title"] == "Reply to a ticket"
    assert actions["webhook"]["title"] == "Send a webhook"
    assert triggers["perfex.leads.created"]["title"] == "A new lead is added in Perfex"
    assert triggers["perfex.tickets.reply_created"]["title"] == "A ticket gets a reply"
    assert triggers["webhook.github.issues"]["title"] == (
        "A GitHub 'issues' webhook arrives on /hooks/github"
    )
    presets = [p["title"] for p in triggers["schedule"]["presets"]]
    assert "Every Monday at 9:00" in presets


def test_allowed_values_come_from_the_reference() -> None:
    """Task rel_type lists the reference's ten values; priorities and statuses have labels."""
    fields = _actions()["perfex.tasks.create"]["fields"]
    rel_types = [v["value"] for v in fields["rel_type"]["values"]]
    assert rel_types == [
        "lead",
        "customer",
        "invoice",
        "project",
        "quotation",
        "contract",
        "annex",
        "ticket",
        "expense",
        "proposal",
    ]
    assert {"value": "4", "label": "Urgent"} in fields["priority"]["values"]
    update = _actions()["perfex.tasks.update"]["fields"]
    assert {"value": "5", "label": "Complete"} in update["status"]["values"]
    ticket = _actions()["perfex.tickets.create"]["fields"]
    assert [v["label"] for v in ticket["priority"]["values"]] == ["Low", "Medium", "High"]
    assert ticket["priority"]["values_open"] is True
    assert "values_open" not in fields["rel_type"]
    projects = _actions()["perfex.projects.create"]["fields"]
    assert [v["value"] for v in projects["rel_type"]["values"]] == ["lead", "customer", "internal"]
    assert "values" not in fields["name"]


def test_values_tables_name_only_real_fields() -> None:
    """Every field a values table names exists on some operation it applies to (no typos)."""
    for op_name, table in docs.VALUES_BY_OPERATION.items():
        op = OPERATIONS[op_name]
        assert set(table) <= {*op.path_params, *op.required, *op.optional}, op_name
    for resource, table in docs.VALUES_BY_RESOURCE.items():
        names = {
            field
            for op in OPERATIONS.values()
            if op.resource == resource
            for field in (*op.path_params, *op.required, *op.optional)
        }
        assert set(table) <= names, (resource, set(table) - names)


def test_flow_actions_are_listed_with_their_fields() -> None:
    """webhook, delay and for_each are actions with their step keys described."""
    actions = _actions()
    assert actions["webhook"]["required"] == ["url"]
    assert {"body", "headers", "secret", "method"} <= set(actions["webhook"]["optional"])
    assert set(actions["delay"]["fields"]) == {"delay", "delay_until"}
    assert set(actions["for_each"]["fields"]) == {"for_each", "max_items", "do"}


def test_every_list_resource_has_created_updated_deleted_triggers() -> None:
    """The 18 list resources each have created/updated/deleted triggers of kind perfex."""
    triggers = _triggers()
    assert len(words.LIST_RESOURCES) == 18
    for resource in words.LIST_RESOURCES:
        for what in ("created", "updated", "deleted"):
            trigger = triggers[f"perfex.{resource}.{what}"]
            assert trigger["kind"] == "perfex"
            assert trigger["title"].endswith("in Perfex") and trigger["needs"]
    assert triggers["perfex.leads.updated"]["changes"] is True
    assert "changes" not in triggers["perfex.leads.created"]
    assert "company" in triggers["perfex.customers.created"]["fields"]


def test_perfex_triggers_are_types_the_rules_engine_accepts() -> None:
    """Every created/updated/deleted trigger is a type `bridge rules check` accepts in `on:`."""
    engine = known_types([])
    ours = {t["type"] for t in build_catalogue(None)["triggers"] if t["kind"] == "perfex"}
    assert ours <= engine, sorted(ours - engine)


def test_push_schedule_new_hook_and_system_triggers() -> None:
    """Push-only events, the schedule, the new-hook entry and the system events are listed."""
    triggers = _triggers()
    for kind in ("invoices.paid", "leads.status_changed", "tickets.reply_created"):
        assert triggers[f"perfex.{kind}"]["kind"] == "push"
    assert triggers["schedule"]["kind"] == "schedule"
    new_hook = next(t for t in triggers.values() if t["kind"] == "new_hook")
    assert new_hook["schemes"] == [
        "none",
        "token",
        "basic",
        "hmac",
        "github",
        "stripe",
        "slack",
        "standard",
        "perfex",
    ]
    assert triggers["bridge.run.dead_lettered"]["kind"] == "system"
    assert triggers["bridge.poller.stopped"]["kind"] == "system"
    assert {t["kind"] for t in triggers.values()} <= set(TRIGGER_KINDS)


def test_loaded_hooks_become_triggers() -> None:
    """Each hook of the loaded rules is a trigger; a hook with `event:` offers its sub-types."""
    triggers = _triggers(_ruleset())
    shop = triggers["webhook.shop"]
    assert shop["title"] == "A webhook arrives on /hooks/shop"
    assert shop["description"] == "Orders from the web shop" and shop["verify"] == "token"
    assert triggers["webhook.github.*"]["pattern"] is True
    assert triggers["webhook.github.pull_request"]["hook"] == "github"
    assert "issue" in triggers["webhook.github.issues"]["fields"]
    assert "email" in shop["fields"]
    assert "webhook.shop" not in _triggers(None)


def test_no_duplicate_types_or_names_and_every_entry_complete() -> None:
    """Trigger types and action names are unique; each has a title, group and description."""
    catalogue = build_catalogue(_ruleset())
    types = [t["type"] for t in catalogue["triggers"]]
    names = [a["name"] for a in catalogue["actions"]]
    assert len(types) == len(set(types)) and len(names) == len(set(names))
    for entry in [*catalogue["triggers"], *catalogue["actions"]]:
        assert entry["title"] and entry["group"] and entry["description"], entry
    json.dumps(catalogue)


def test_the_static_part_is_built_once() -> None:
    """static_catalogue is cached: the same objects come back, and build_catalogue reuses them."""
    first = static_catalogue()
    assert static_catalogue() is first
    action = next(a for a in build_catalogue(None)["actions"] if a["name"] == "perfex.leads.get")
    assert any(action is a for a in first["actions"])


@pytest.mark.parametrize(
    ("event_type", "known"),
    [
        ("perfex.leads.created", True),
        ("perfex.invoices.paid", True),
        ("bridge.run.dead_lettered", True),
        ("webhook.shop", True),
        ("webhook.github.issues", True),
        ("webhook.github.anything_else", True),
        ("webhook.shop.sub", False),
        ("webhook.nope", False),
        ("perfex.leads.exploded", False),
        ("perfex.*.created", False),
        ("schedule.monday", True),
        ("schedule.weekly", False),
        ("schedule.nope", False),
        ("", False),
    ],
)
def test_known_event_type(event_type: str, known: bool) -> None:
    """Known types: catalogue triggers, sub-types of hooks with `event:`, schedule.<rule>."""
    assert known_event_type(event_type, _ruleset()) is known


def test_titles_use_no_raw_field_names() -> None:
    """Trigger titles read as sentences: no dotted or underscored words."""
    for trigger in build_catalogue(_ruleset())["triggers"]:
        if trigger["kind"] in ("perfex", "push", "system", "schedule"):
            assert not re.search(r"\w_\w|\w\.\w", trigger["title"]), trigger["title"]


def test_push_triggers_match_the_engine_once_it_knows_push_events() -> None:
    """Once the rules engine accepts push types, it accepts every push trigger listed here."""
    engine = known_types([])
    ours = {t["type"] for t in build_catalogue(None)["triggers"] if t["kind"] == "push"}
    if "perfex.invoices.paid" not in engine:
        pytest.skip("this rules engine knows no push event types yet (issue 13 adds them)")
    assert ours <= engine, sorted(ours - engine)


def test_values_from_names_listing_actions_of_real_fields() -> None:
    """A field's `values_from` is an existing action, on a field the operation has."""
    actions = _actions()
    assert actions["perfex.payments.create"]["fields"]["paymentmode"]["values_from"] == (
        "perfex.common.payment_mode"
    )
    for resource, table in docs.VALUES_FROM.items():
        assert set(table.values()) <= set(OPERATIONS)
        names = {
            field
            for op in OPERATIONS.values()
            if op.resource == resource
            for field in (*op.required, *op.optional)
        }
        assert set(table) <= names, resource


def test_find_action() -> None:
    """find_action gives one action's entry by name, None for an unknown name."""
    reply = find_action("perfex.tickets.reply")
    assert reply is not None and reply["required"] == ["id", "message"]
    assert reply["fields"]["id"]["in"] == "path" and reply["returns_id"] == "reply_id"
    assert find_action("perfex.nothing.here") is None
