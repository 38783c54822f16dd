"""Templates: sandboxed, strict, native types kept, compiled once."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.events import Event
from bridge.exceptions import TemplateError
from bridge.rules import Ruleset, make_context, render_step
from bridge.rules.templates import ENV, MapNode, Native, compile_text
from tests.rules.conftest import WriteRules, load_ok, problems_of

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ event.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ event.data.__class__.__base__.__subclasses__() }}",
    "{{ event['__class__'] }}",
    "{{ event | attr('__class__') }}",
    "{{ now.__class__.mro() }}",
]
RUNTIME_ESCAPES = [
    "{{ event | attr('__cla' ~ 'ss__') }}",
    "{{ '{0.__class__}'.format(event) }}",
    "{{ event.data.items.__self__ }}",
    "{{ 'x' * 100000000 }}",
    "{{ 10 ** 100000 }}",
]


def _ruleset(write_rules: WriteRules, body: str) -> Ruleset:
    """One rule with one webhook step whose `body:` is the given flow mapping."""
    text = (
        "rules:\n  - name: a\n    on: perfex.leads.created\n    do:\n      - webhook:\n"
        f'          url: "https://x.example"\n          body: {body}\n'
    )
    return load_ok(write_rules(text))


def _event(data: Any) -> Event:
    return Event(id="e1", type="perfex.leads.created", source="perfex", data=data)


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_attempts_refused_at_load(write_rules: WriteRules, source: str) -> None:
    """Templates naming internals or removed globals are refused when the rules load."""
    path = write_rules(
        f"""
        rules:
          - name: a
            on: perfex.leads.created
            do:
              - webhook: {{url: "https://x.example", body: "{source}"}}
        """
    )
    problems = problems_of(path)
    assert problems and all(":5: rule 'a' step 1 webhook.body:" in p for p in problems)


@pytest.mark.parametrize("source", RUNTIME_ESCAPES)
def test_escape_attempts_refused_at_render(source: str) -> None:
    """What the static check cannot see, the sandbox refuses when it renders."""
    node = compile_text(source, "test")
    context = make_context(_event({"id": 1}))
    with pytest.raises(TemplateError):
        node.render(context)


def test_sandbox_refuses_internals_directly() -> None:
    """The environment itself is a sandbox, whatever the static checks do."""
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        ENV.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    assert "lipsum" not in ENV.globals and "cycler" not in ENV.globals


def test_native_types_kept(write_rules: WriteRules) -> None:
    """A value that is exactly one `{{ expr }}` keeps its type; others render to text."""
    ruleset = _ruleset(
        write_rules,
        '{id: "{{ event.data.id }}", record: "{{ event.data }}", tags: "{{ event.data.tags }}",'
        ' missing_ok: "{{ event.data.none }}", text: "lead {{ event.data.id }}", const: 5,'
        ' today: "{{ now.year }}"}',
    )
    data = {"id": 42, "tags": ["a", "b"], "none": None}
    params = render_step(ruleset.rules[0].steps[0], make_context(_event(data)))
    body = params["body"]
    assert body["id"] == 42 and isinstance(body["id"], int)
    assert body["record"] == data and isinstance(body["record"], dict)
    assert body["tags"] == ["a", "b"]
    assert body["missing_ok"] is None
    assert body["text"] == "lead 42"
    assert body["const"] == 5
    assert isinstance(body["today"], int)


def test_strict_undefined_names_the_missing_attribute(write_rules: WriteRules) -> None:
    """A typo raises TemplateError naming the attribute and where the template is."""
    ruleset = _ruleset(write_rules, '{a: "{{ event.data.nmae }}", b: "Hi {{ event.data.nmae }}"}')
    step = ruleset.rules[0].steps[0]
    with pytest.raises(TemplateError) as caught:
        render_step(step, make_context(_event({"name": "x"})))
    message = str(caught.value)
    assert "nmae" in message
    assert "rules.yml:7: rule 'a' step 1 webhook.body.a" in message


def test_text_template_strict_too() -> None:
    """A text template with a missing attribute raises instead of rendering ''."""
    node = compile_text("Hi {{ event.data.nmae }}!", "where")
    with pytest.raises(TemplateError, match="nmae"):
        node.render(make_context(_event({})))


def test_compiled_once_into_nodes(write_rules: WriteRules) -> None:
    """A step's params are a tree of compiled nodes built at load."""
    ruleset = _ruleset(write_rules, '{n: "{{ event.data.id }}"}')
    params = ruleset.rules[0].steps[0].params
    assert isinstance(params, MapNode)
    body = dict(params.items)["body"]
    assert isinstance(body, MapNode) and isinstance(dict(body.items)["n"], Native)


def test_conditions_and_context(write_rules: WriteRules) -> None:
    """Rule and step `if:` see event, steps and now; a false step `if:` can be read."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.*
            if: event.type.endswith('created') and now.year > 2000
            do:
              - id: first
                webhook: {url: "https://x.example"}
              - webhook: {url: "https://x.example"}
                if: "{{ steps.first.status == 201 }}"
        """
    )
    ruleset = load_ok(path)
    assert [r.name for r in ruleset.match(_event({}))] == ["a"]
    updated = Event(id="e2", type="perfex.leads.updated", source="perfex", data={})
    assert ruleset.match(updated) == []
    from bridge.rules import evaluate_condition

    step = ruleset.rules[0].steps[1]
    ok = make_context(_event({}), steps={"first": {"status": 201, "body": {}, "id": None}})
    no = make_context(_event({}), steps={"first": {"status": 200, "body": {}, "id": None}})
    assert evaluate_condition(step.condition, ok) is True
    assert evaluate_condition(step.condition, no) is False
