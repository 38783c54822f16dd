"""Routing: exact types and globs through the index, `if:` only on candidates, file order."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from bridge.events import Event
from bridge.rules import load
from bridge.rules.matching import RuleIndex
from tests.rules.conftest import WriteRules, load_ok

RESOURCES = ["leads", "tasks", "tickets", "invoices", "customers"]


class Probe:
    """Counts how many `if:` evaluations read it."""

    def __init__(self) -> None:
        self.count = 0

    def hit(self) -> bool:
        self.count += 1
        return True


def _thousand_rules(root: Path) -> Path:
    lines = ["hooks:"]
    lines += [f"  - {{name: h{i}, verify: token, secret: s}}" for i in range(50)]
    lines.append("rules:")
    for i in range(1000):
        kind = i % 4
        if kind == 0:
            on = f"webhook.h{i % 50}"
        elif kind == 1:
            on = f"perfex.{RESOURCES[i % 5]}.updated"
        elif kind == 2:
            on = f"perfex.{RESOURCES[i % 5]}.*"
        else:
            on = f"webhook.h{i % 10}*"
        lines += [
            f"  - name: r{i}",
            f"    on: {on}",
            "    if: event.data.probe.hit()",
            "    do: [{webhook: {url: 'https://x.example'}}]",
        ]
    (root / "many.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_routing_touches_only_rules_that_can_match(tmp_path: Path) -> None:
    """Among 1,000 rules, an event's `if:` runs only for the rules whose `on:` matches it."""
    ruleset = load(_thousand_rules(tmp_path), {})
    probe = Probe()
    event = {"id": "1", "type": "webhook.h12", "source": "webhook", "data": {"probe": probe}}
    matched = ruleset.match(event)
    # The reference answer: try every rule's patterns by brute force.
    expected = [r.name for r in ruleset.rules if any(fnmatchcase("webhook.h12", p) for p in r.on)]
    assert [r.name for r in matched] == expected
    assert {r.on[0] for r in matched} == {"webhook.h12", "webhook.h1*"}
    assert probe.count == len(expected) == 60
    # Only the globs under `webhook` are tried; perfex.leads.* only for perfex.leads.
    assert ruleset.index.glob_candidates("webhook.h12") == 250
    assert ruleset.index.glob_candidates("perfex.leads.updated") == 50


def test_glob_in_the_middle_and_lists(write_rules: WriteRules) -> None:
    """`perfex.*.created` matches every resource; a list of types matches any of them."""
    path = write_rules(
        """
        rules:
          - name: all-created
            on: perfex.*.created
            do: [{webhook: {url: "https://x.example"}}]
          - name: leads-any
            on: [perfex.leads.*, perfex.tasks.deleted]
            do: [{webhook: {url: "https://x.example"}}]
          - name: everything
            on: "*"
            do: [{webhook: {url: "https://x.example"}}]
          - name: exact
            on: perfex.leads.created
            do: [{webhook: {url: "https://x.example"}}]
        """
    )
    ruleset = load_ok(path)

    def names(event_type: str) -> list[str]:
        return [r.name for r in ruleset.candidates(event_type)]

    assert names("perfex.leads.created") == ["all-created", "leads-any", "everything", "exact"]
    assert names("perfex.tasks.created") == ["all-created", "everything"]
    assert names("perfex.tasks.deleted") == ["leads-any", "everything"]
    assert names("perfex.leads") == ["everything"]
    assert names("bridge.poller.gap") == ["everything"]


def test_rule_listing_one_type_twice_matches_once(write_rules: WriteRules) -> None:
    """A rule whose `on:` matches through two patterns is returned once."""
    path = write_rules(
        """
        rules:
          - name: twice
            on: [perfex.leads.created, perfex.leads.*, perfex.*]
            do: [{webhook: {url: "https://x.example"}}]
        """
    )
    ruleset = load_ok(path)
    assert [r.name for r in ruleset.candidates("perfex.leads.created")] == ["twice"]


def test_if_error_leaves_rule_out_and_is_reported(write_rules: WriteRules) -> None:
    """A rule whose `if:` fails does not match; match_detailed says why."""
    path = write_rules(
        """
        rules:
          - name: broken
            on: perfex.leads.created
            if: event.data.missing.deeper
            do: [{webhook: {url: "https://x.example"}}]
          - name: fine
            on: perfex.leads.created
            do: [{webhook: {url: "https://x.example"}}]
        """
    )
    ruleset = load_ok(path)
    event = Event(id="1", type="perfex.leads.created", source="perfex", data={})
    assert [r.name for r in ruleset.match(event)] == ["fine"]
    _, failed = ruleset.match_detailed(event)
    assert [r.name for r, _ in failed] == ["broken"] and "missing" in str(failed[0][1])


def test_empty_index() -> None:
    """An index without rules finds nothing."""
    assert RuleIndex([]).lookup("perfex.leads.created") == []
