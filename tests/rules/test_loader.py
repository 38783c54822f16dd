"""Load-time checks: every problem reported at once as `file:line: message`."""

from __future__ import annotations

from pathlib import Path

from tests.rules.conftest import WriteRules, load_ok, problems_of


def test_valid_file_loads_rules_and_hooks_in_order(write_rules: WriteRules) -> None:
    """A valid file gives its rules in file order with their source lines."""
    path = write_rules(
        """
        rules:
          - name: first
            on: perfex.leads.created
            do:
              - perfex.leads.get: {id: "{{ event.data.id }}"}
          - name: second
            on: [perfex.leads.updated, perfex.tasks.*]
            do:
              - webhook: {url: "https://example.com/x"}
        """
    )
    ruleset = load_ok(path)
    assert [r.name for r in ruleset.rules] == ["first", "second"]
    assert ruleset.rules[0].source == f"{path / 'rules.yml'}:2"
    assert ruleset.rules[1].on == ("perfex.leads.updated", "perfex.tasks.*")
    assert ruleset.rules[0].steps[0].line == 5


def test_several_errors_in_one_file_all_reported(write_rules: WriteRules) -> None:
    """Every problem of a file comes back, each with its own line."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - perfex.leads.craete: {}
          - name: b
            on: perfex.nothing.here
            do:
              - webhook: {url: "https://x.example"}
          - name: c
            on: perfex.leads.created
            iff: "true"
            do:
              - webhook: {url: "https://x.example"}
        """
    )
    problems = problems_of(path)
    file = path / "rules.yml"
    assert problems[0].startswith(
        f"{file}:5: rule 'a' step 1: unknown action 'perfex.leads.craete'"
    )
    assert "did you mean 'perfex.leads.create'?" in problems[0]
    assert problems[1].startswith(f"{file}:7: rule 'b': on: no event type can ever match")
    assert problems[2] == f"{file}:12: rule 'c': unknown key 'iff' (did you mean 'if'?)"
    assert len(problems) == 3


def test_unknown_step_key_suggests_the_close_one(write_rules: WriteRules) -> None:
    """A misspelt `retry` is reported as an unknown key with a suggestion."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - webhook: {url: "https://x.example"}
                rety: {attempts: 3}
        """
    )
    assert problems_of(path) == [
        f"{path / 'rules.yml'}:6: rule 'a' step 1: unknown key 'rety' (did you mean 'retry'?)"
    ]


def test_unknown_webhook_field_and_bad_retry(write_rules: WriteRules) -> None:
    """Webhook fields and retry overrides are validated with their lines."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - webhook:
                  url: "https://x.example"
                  bdy: {}
                retry:
                  attempts: 0
        """
    )
    file = path / "rules.yml"
    problems = problems_of(path)
    assert (
        problems[0]
        == f"{file}:7: rule 'a' step 1 webhook: unknown key 'bdy' (did you mean 'body'?)"
    )
    assert problems[1].startswith(f"{file}:9: rule 'a' step 1 retry: attempts: Input should be")


def test_duplicate_names_across_files(write_rules: WriteRules) -> None:
    """The same rule or hook name in two files is an error at the second one."""
    write_rules(
        """
        hooks:
          - {name: form, verify: token, secret: s}
        rules:
          - name: same
            on: perfex.leads.created
            do: [{webhook: {url: "https://x.example"}}]
        """,
        "a.yml",
    )
    path = write_rules(
        """
        hooks:
          - {name: form, verify: token, secret: s}
        rules:
          - name: same
            on: perfex.leads.created
            do: [{webhook: {url: "https://x.example"}}]
        """,
        "b.yml",
    )
    problems = problems_of(path)
    assert problems == [
        f"{path / 'b.yml'}:2: duplicate hook name 'form' (first at {path / 'a.yml'}:2)",
        f"{path / 'b.yml'}:4: duplicate rule name 'same' (first at {path / 'a.yml'}:4)",
    ]


def test_missing_perfex_fields(write_rules: WriteRules) -> None:
    """Path parameters and required fields of a Perfex action are checked at load."""
    path = write_rules(
        """
        rules:
          - name: reply
            on: perfex.tickets.created
            do:
              - perfex.tickets.reply:
                  admin: 1
        """
    )
    file = path / "rules.yml"
    assert problems_of(path) == [
        f"{file}:5: rule 'reply' step 1: perfex.tickets.reply needs field 'id'",
        f"{file}:5: rule 'reply' step 1: perfex.tickets.reply needs field 'message'",
    ]


def test_unset_environment_variable(write_rules: WriteRules) -> None:
    """`${VAR}` naming an unset variable is an error; a set one is substituted."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - webhook:
                  url: "https://x.example"
                  secret: ${CHAT_SECRET}
        """
    )
    assert problems_of(path) == [
        f"{path / 'rules.yml'}:7: environment variable CHAT_SECRET is not set"
    ]
    ruleset = load_ok(path, {"CHAT_SECRET": "s3cret"})
    step = ruleset.rules[0].steps[0]
    assert step.params.render({})["secret"] == "s3cret"
    assert "s3cret" not in repr(ruleset)


def test_environment_value_is_never_a_template(write_rules: WriteRules) -> None:
    """A variable's value with template syntax is pasted literally, not evaluated."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - webhook:
                  url: "https://x.example/{{ event.id }}?k=${KEY}"
        """
    )
    ruleset = load_ok(path, {"KEY": "{{ 7 * 6 }}"})
    rendered = ruleset.rules[0].steps[0].params.render({"event": {"id": "e1"}})
    assert rendered["url"] == "https://x.example/e1?k={{ 7 * 6 }}"


def test_template_syntax_error(write_rules: WriteRules) -> None:
    """A template that does not parse is refused at its line."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - perfex.leads.get:
                  id: "{{ event.data.id }"
        """
    )
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"{path / 'rules.yml'}:6: rule 'a' step 1 perfex.leads.get.id: template does not parse"
    )


def test_unknown_template_name_suggests(write_rules: WriteRules) -> None:
    """A top-level name the context lacks is refused, with a suggestion."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            if: evnt.data.id > 1
            do:
              - webhook: {url: "https://x.example"}
        """
    )
    problems = problems_of(path)
    assert problems[0].startswith(
        f"{path / 'rules.yml'}:4: rule 'a' if: unknown name 'evnt' in template"
        " (did you mean 'event'?)"
    )


def test_steps_reference_must_be_earlier(write_rules: WriteRules) -> None:
    """`steps.<id>` may only name a step that comes earlier in the same rule."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - id: first
                webhook: {url: "https://x.example", body: "{{ steps.later.id }}"}
              - id: later
                webhook: {url: "https://x.example", body: "{{ steps.first.id }}"}
              - webhook: {url: "https://x.example", body: "{{ steps['first'].body }}"}
                if: steps.lator.status == 200
        """
    )
    file = path / "rules.yml"
    assert problems_of(path) == [
        f"{file}:6: rule 'a' step 1 webhook.body: steps.later refers to no earlier step"
        " of this rule",
        f"{file}:10: rule 'a' step 3 if: steps.lator refers to no earlier step of this rule"
        " (did you mean 'later'?)",
    ]


def test_step_with_zero_or_two_actions(write_rules: WriteRules) -> None:
    """A step needs exactly one action key."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - id: nothing
              - webhook: {url: "https://x.example"}
                perfex.leads.get: {id: 1}
        """
    )
    file = path / "rules.yml"
    assert problems_of(path) == [
        f"{file}:5: rule 'a' step 1: no action: give one of 'webhook'"
        " or 'perfex.<resource>.<verb>'",
        f"{file}:7: rule 'a' step 2: 2 action keys ('webhook', 'perfex.leads.get');"
        " a step does exactly one action",
    ]


def test_on_patterns(write_rules: WriteRules) -> None:
    """`on:` must be well formed and able to match some event type."""
    path = write_rules(
        """
        hooks:
          - {name: gh, verify: github, secret: s, event: "{{ headers['x-github-event'] }}"}
          - {name: plain, verify: token, secret: s}
        rules:
          - name: ok
            on: [webhook.gh.issues, webhook.gh.*, perfex.*.created, bridge.poller.gap,
                 webhook.plain]
            do: [{webhook: {url: "https://x.example"}}]
          - name: bad
            on:
              - webhook.plain.sub
              - perfex.leads.crated
              - "perfex leads"
            do: [{webhook: {url: "https://x.example"}}]
        """
    )
    file = path / "rules.yml"
    problems = problems_of(path)
    assert problems[0] == (
        f"{file}:11: rule 'bad': on: no event type can ever match 'webhook.plain.sub'"
        " (did you mean 'webhook.plain'?)"
    )
    assert problems[1] == (
        f"{file}:12: rule 'bad': on: no event type can ever match 'perfex.leads.crated'"
        " (did you mean 'perfex.leads.created'?)"
    )
    assert problems[2].startswith(f"{file}:13: rule 'bad': on: 'perfex leads' is not an event type")
    assert len(problems) == 3


def test_yaml_errors_have_lines(write_rules: WriteRules) -> None:
    """Broken YAML and duplicate keys are reported at their line, other files still checked."""
    write_rules("rules:\n  - name: a\n    on: [perfex.leads.created\n", "a.yml")
    write_rules("rules:\n  - name: a\n    name: b\n", "b.yml")
    path = write_rules("rulez: []\n", "c.yaml")
    problems = problems_of(path)
    assert problems[0].startswith(f"{path / 'a.yml'}:4: YAML does not parse")
    assert problems[1].startswith(f"{path / 'b.yml'}:3: YAML does not parse: duplicate key")
    assert problems[2] == (
        f"{path / 'c.yaml'}:1: unknown top-level key 'rulez' (did you mean 'rules'?)"
        " (a rules file has hooks: and rules:)"
    )


def test_missing_path_and_other_files_ignored(tmp_path: Path, write_rules: WriteRules) -> None:
    """A missing path is one clear problem; non-YAML files in a directory are not loaded."""
    assert problems_of(tmp_path / "nope") == [f"{tmp_path / 'nope'}: rules path does not exist"]
    path = write_rules("{not json", "sample.json")
    assert load_ok(path).rules == []
