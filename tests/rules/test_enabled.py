"""`enabled:` on a rule (loaded and checked, never matching), and required fields with values."""

from __future__ import annotations

from bridge.rules.dryrun import dry_run
from tests.rules.conftest import WriteRules, load_ok, problems_of

EVENT = {"id": "e1", "type": "perfex.leads.created", "source": "perfex", "data": {"id": 1}}


def test_disabled_rule_is_loaded_but_never_matches(write_rules: WriteRules) -> None:
    """`enabled: false` keeps the rule in the ruleset; match() and candidates() skip it."""
    path = write_rules(
        """
        rules:
          - name: off
            on: perfex.leads.*
            enabled: false
            do: [{webhook: {url: "https://x.example"}}]
          - name: on
            on: perfex.leads.created
            enabled: true
            do: [{webhook: {url: "https://x.example"}}]
        """
    )
    ruleset = load_ok(path)
    assert [(r.name, r.enabled) for r in ruleset.rules] == [("off", False), ("on", True)]
    assert [r.name for r in ruleset.match(EVENT)] == ["on"]
    assert [r.name for r in ruleset.candidates("perfex.leads.created")] == ["on"]
    result = dry_run(ruleset, EVENT)
    assert [m["rule"] for m in result["matched"]] == ["on"]
    assert result["not_matched"] == [{"rule": "off", "reason": "disabled (enabled: false)"}]


def test_disabled_rule_is_still_checked(write_rules: WriteRules) -> None:
    """A disabled rule with a missing Perfex field or a non-boolean `enabled` is an error."""
    path = write_rules(
        """
        rules:
          - name: off
            on: perfex.leads.created
            enabled: false
            do: [{perfex.tasks.create: {name: x}}]
          - name: odd
            on: perfex.leads.created
            enabled: "no"
            do: [{webhook: {url: "https://x.example"}}]
        """
    )
    problems = "\n".join(problems_of(path))
    assert "rules.yml:5: rule 'off' step 1: perfex.tasks.create needs field 'startdate'" in problems
    assert "rules.yml:8: rule 'odd': enabled: Input should be a valid boolean" in problems


def test_unset_variable_is_a_warning_only_while_disabled(write_rules: WriteRules) -> None:
    """A disabled rule may name an unset ${VAR} (a warning); an enabled one may not."""
    text = """
        rules:
          - name: chat
            on: perfex.leads.created
            enabled: {flag}
            do: [{{webhook: {{url: "${{CHAT_URL}}"}}}}]
        """
    ruleset = load_ok(write_rules(text.format(flag="false")))
    assert ruleset.warnings == [
        f"{ruleset.files[0]}:5: environment variable CHAT_URL is not set"
        " (set it before enabling the rule)"
    ]
    problems = problems_of(write_rules(text.format(flag="true")))
    assert problems == [f"{ruleset.files[0]}:5: environment variable CHAT_URL is not set"]


def test_hook_without_its_secret_is_off_while_no_enabled_rule_uses_it(
    write_rules: WriteRules,
) -> None:
    """A hook whose ${VAR} is unset loads switched off (a warning) while only disabled rules
    listen to it; once an enabled rule does, the unset variable is an error again."""
    text = """
        hooks:
          - name: gh
            verify: github
            secret: ${{GH_SECRET}}
            event: "{{{{ headers['x-github-event'] }}}}"
        rules:
          - name: issues
            on: webhook.gh.issues
            enabled: {flag}
            do: [{{webhook: {{url: "https://x.example"}}}}]
        """
    ruleset = load_ok(write_rules(text.format(flag="false")))
    assert ruleset.hooks == {}
    assert ruleset.warnings == [
        f"{ruleset.files[0]}:2: hook 'gh' is off until GH_SECRET is set (no enabled rule uses it)"
    ]
    on = write_rules(text.format(flag="true"))
    assert problems_of(on) == [f"{ruleset.files[0]}:4: environment variable GH_SECRET is not set"]
    assert set(load_ok(on, {"GH_SECRET": "s"}).hooks) == {"gh"}


def test_required_perfex_field_needs_a_value(write_rules: WriteRules) -> None:
    """A required field or path parameter left null or empty is a load error at its line
    (it would fail only at run time otherwise); a template value is fine."""
    path = write_rules(
        """
        rules:
          - name: blank
            on: perfex.leads.created
            do:
              - perfex.leads.create:
                  name: "{{ event.data.name }}"
                  source:
                  status: ""
                  assigned: 1
              - perfex.tickets.reply: {id: "{{ event.data.id }}", message: hi}
        """
    )
    assert problems_of(path) == [
        f"{path / 'rules.yml'}:7: rule 'blank' step 1: perfex.leads.create needs a value"
        " for field 'source'",
        f"{path / 'rules.yml'}:8: rule 'blank' step 1: perfex.leads.create needs a value"
        " for field 'status'",
    ]
