"""`rules check` warns when a hook's event type comes from a header its sender does not sign."""

from __future__ import annotations

import pytest

from bridge.rules import cli
from bridge.rules.unsigned import ANY, headers_read
from tests.rules.conftest import WriteRules, load_ok


def test_github_event_from_x_github_event_warns_with_file_line_and_remedy(
    write_rules: WriteRules, capsys: pytest.CaptureFixture[str]
) -> None:
    """`event: {{ headers['x-github-event'] }}` on a github hook: a warning at the event: line."""
    path = write_rules(
        """
        hooks:
          - name: gh
            verify: github
            secret: s
            event: "{{ headers['x-github-event'] }}"
        """
    )
    ruleset = load_ok(path)
    assert len(ruleset.warnings) == 1
    warning = ruleset.warnings[0]
    assert warning.startswith(f"{path / 'rules.yml'}:5: hook 'gh': event: reads x-github-event")
    assert "verify: github does not sign" in warning
    assert "body" in warning and "BRIDGE_REPLAY_WINDOW" in warning
    assert cli.check(str(path)) == 0
    out = capsys.readouterr().out
    assert f"{path / 'rules.yml'}:5: warning: hook 'gh': event: reads x-github-event" in out


def test_hmac_header_get_warns_and_signed_or_body_sources_do_not(write_rules: WriteRules) -> None:
    """hmac reading headers.get(...) warns; body-derived types and signed schemes do not."""
    path = write_rules(
        """
        hooks:
          - {name: h, verify: hmac, secret: s, header: X-Sig, event: "{{ headers.get('x-kind') }}"}
          - {name: gb, verify: github, secret: s, event: "{{ body.action }}"}
          - {name: sw, verify: standard, secret: whsec_MDEy, event: "{{ headers['webhook-id'] }}"}
          - {name: tk, verify: token, secret: s, event: "{{ headers['x-kind'] }}"}
        """
    )
    warnings = load_ok(path).warnings
    assert len(warnings) == 1, warnings
    assert "hook 'h': event: reads x-kind, which verify: hmac does not sign" in warnings[0]


def test_headers_read_names_each_header() -> None:
    """Subscripts, .get() and attribute reads are named; a computed name is ANY."""
    assert headers_read("{{ headers['X-A'] }}-{{ headers.get('x-b', 'd') }}") == {"x-a", "x-b"}
    assert headers_read("{{ headers[body.name] }}") == {ANY}
    assert headers_read("{{ body.type }}") == set()
