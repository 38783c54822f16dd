"""Hooks: per-scheme keys, explicit `verify: none`, URL-safe names, the event sub-type."""

from __future__ import annotations

import pytest

from bridge.exceptions import TemplateError
from tests.rules.conftest import WriteRules, load_ok, problems_of


def test_schemes_load_with_their_keys(write_rules: WriteRules) -> None:
    """Each scheme loads with the keys it takes; defaults fill the rest."""
    path = write_rules(
        """
        hooks:
          - {name: t, verify: token, secret: a}
          - {name: b, verify: basic, username: u, secret: p}
          - {name: h, verify: hmac, secret: k, header: X-Sig, algorithm: sha512,
             encoding: base64, prefix: "sha512="}
          - {name: gh, verify: github, secret: g}
          - {name: st, verify: stripe, secret: s, tolerance: 60}
          - {name: sl, verify: slack, secret: s}
          - {name: sw, verify: standard, secret: s}
        """
    )
    hooks = load_ok(path).hooks
    assert hooks["h"].algorithm == "sha512" and hooks["h"].prefix == "sha512="
    assert hooks["st"].tolerance == 60 and hooks["sl"].tolerance == 300
    assert hooks["b"].secret is not None and hooks["b"].secret.get_secret_value() == "p"
    assert "'p'" not in repr(hooks["b"]) and "'k'" not in repr(hooks["h"])


def test_scheme_key_errors(write_rules: WriteRules) -> None:
    """Missing secrets/headers and keys of another scheme are errors at their lines."""
    path = write_rules(
        """
        hooks:
          - name: h
            verify: hmac
            secret: k
          - name: gh
            verify: github
            secret: g
            tolerance: 10
          - name: b
            verify: basic
            secret: s
          - name: x
            verify: hmca
            secret: s
          - name: bad.name
            verify: token
            secret: s
          - name: nov
            secret: s
        """
    )
    file = path / "rules.yml"
    problems = problems_of(path)
    assert problems[0] == f"{file}:2: hook 'h': verify: hmac needs 'header'"
    assert problems[1].startswith(
        f"{file}:8: hook 'gh': 'tolerance' does not apply to verify: github"
    )
    assert problems[2] == f"{file}:9: hook 'b': verify: basic needs 'username'"
    assert problems[3].startswith(f"{file}:13: hook 'x': verify: Input should be 'none', 'token'")
    assert problems[4].startswith(f"{file}:15: hook 'bad.name': name must be URL-safe")
    assert problems[5] == (
        f"{file}:18: hook 'nov': missing required key 'verify'"
        " (say `verify: none` explicitly to accept unsigned requests)"
    )
    assert len(problems) == 6


def test_verify_none_is_a_warning(write_rules: WriteRules) -> None:
    """`verify: none` loads, with a warning that says why it is risky."""
    path = write_rules(
        """
        hooks:
          - name: open
            verify: none
        """
    )
    ruleset = load_ok(path)
    assert "open" in ruleset.hooks
    assert ruleset.warnings == [
        f"{path / 'rules.yml'}:3: hook 'open': verify: none accepts events from anyone who"
        " knows the URL"
    ]


def test_event_template_gives_the_sub_type(write_rules: WriteRules) -> None:
    """The `event:` template sees lower-cased headers and the body; the type is cleaned."""
    path = write_rules(
        """
        hooks:
          - {name: gh, verify: github, secret: g, event: "{{ headers['x-github-event'] }}"}
          - {name: st, verify: stripe, secret: s, event: "{{ body.type }}"}
          - {name: plain, verify: token, secret: s}
        """
    )
    hooks = load_ok(path).hooks
    assert hooks["gh"].event_type({"X-GitHub-Event": "issues"}, {}) == "webhook.gh.issues"
    assert hooks["st"].event_type({}, {"type": "invoice.paid"}) == "webhook.st.invoice.paid"
    assert hooks["st"].render_event_type({}, {"type": "a b/c"}) == "a_b_c"
    assert hooks["st"].render_event_type({}, {"type": ""}) is None
    assert hooks["plain"].event_type({}, {}) == "webhook.plain"
    with pytest.raises(TemplateError, match="type"):
        hooks["st"].render_event_type({}, {"kind": "x"})


def test_event_template_names_are_checked(write_rules: WriteRules) -> None:
    """An `event:` template may use only headers and body."""
    path = write_rules(
        """
        hooks:
          - {name: gh, verify: github, secret: g, event: "{{ header['x'] }}"}
        """
    )
    problems = problems_of(path)
    assert problems[0].startswith(
        f"{path / 'rules.yml'}:2: hook 'gh' event: unknown name 'header' in template"
        " (did you mean 'headers'?)"
    )
