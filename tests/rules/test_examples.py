"""The shipped rules/ pass `check`, and `test` renders every sample event."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.redaction import REDACTED
from bridge.rules import cli
from tests.rules.conftest import WriteRules

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
#: The variables the example rules read (listed at the top of each file).
EXAMPLE_ENV = {
    "CHAT_WEBHOOK_URL": "https://chat.example.com/hooks/T000",
    "CONTACT_FORM_TOKEN": "form-token",
    "GITHUB_WEBHOOK_SECRET": "gh-secret",
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "PERFEX_WEBHOOK_SECRET": "perfex-push-secret",
}
SAMPLES = sorted((RULES / "samples").glob("*.json"))


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)


def test_every_example_file_lists_its_variables() -> None:
    """Each example names, in its header comment, every ${VAR} it reads."""
    for path in sorted(RULES.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        header = text.split("\nrules:")[0].split("\nhooks:")[0]
        for name in EXAMPLE_ENV:
            if "${" + name + "}" in text:
                assert name in header, f"{path.name} does not list {name}"


def test_examples_pass_check(example_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    """`check rules/` finds no problem and says how much it loaded."""
    assert cli.check(str(RULES)) == 0
    out = capsys.readouterr().out
    assert out.strip() == "ok: 6 rules, 4 hooks in 6 files"


def test_check_without_variables_loads_switched_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh clone (no variables set) loads: the examples needing secrets ship switched
    off, so each unset variable is a warning and their hooks stay off."""
    for name in EXAMPLE_ENV:
        monkeypatch.delenv(name, raising=False)
    assert cli.check(str(RULES)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "ok: 6 rules, 0 hooks in 6 files (6 warnings)"
    assert (
        f"{RULES / 'github-issue-to-task.yml'}:10: warning: hook 'github' is off until"
        " GITHUB_WEBHOOK_SECRET is set (no enabled rule uses it)"
    ) in lines
    assert (
        f"{RULES / 'new-lead-to-chat.yml'}:16: warning: environment variable CHAT_WEBHOOK_URL"
        " is not set (set it before enabling the rule)"
    ) in lines


def test_examples_needing_secrets_ship_disabled() -> None:
    """Every example that reads a ${VAR} says `enabled: false`; the others are on."""
    for path in sorted(RULES.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        assert ("enabled: false" in text) == ("${" in text), path.name


def _switched_on(tmp_path: Path) -> Path:
    """A copy of rules/ with every example switched on."""
    root = tmp_path / "on"
    root.mkdir()
    for path in RULES.glob("*.yml"):
        text = re.sub(r"(?m)^ +enabled: false.*\n", "", path.read_text(encoding="utf-8"))
        (root / path.name).write_text(text, encoding="utf-8")
    return root


def test_check_uses_bridge_rules_and_prints_warnings(
    write_rules: WriteRules, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default path is BRIDGE_RULES; warnings are printed but do not fail."""
    path = write_rules("hooks:\n  - {name: open, verify: none}\n")
    monkeypatch.setenv("BRIDGE_RULES", str(path))
    assert cli.check(None) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{path / 'rules.yml'}:2: warning: hook 'open': verify: none accepts events from"
        " anyone who knows the URL"
    )
    assert out[1] == "ok: 0 rules, 1 hooks in 1 file (1 warnings)"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_samples_render(
    sample: Path, example_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each sample event matches one example rule (switched on) whose steps all render."""
    assert cli.test(str(sample), str(_switched_on(tmp_path))) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["event"]["id"] == json.loads(sample.read_text())["id"]
    assert len(result["matched"]) == 1
    for step in result["matched"][0]["steps"]:
        assert "error" not in step and not step["skipped"]
        assert step["params"]


def test_disabled_example_shows_why_it_did_not_match(
    example_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """As shipped, a sample's rule is listed as disabled, and the dry run still exits 0."""
    assert cli.test(str(RULES / "samples" / "lead-created.json"), str(RULES)) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["matched"] == []
    assert result["not_matched"] == [
        {"rule": "new-lead-to-chat", "reason": "disabled (enabled: false)"}
    ]


def test_secrets_masked_and_placeholders_noted(
    write_rules: WriteRules, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dry run masks secrets and auth headers, and renders steps.<id> as placeholders."""
    path = write_rules(
        """
        rules:
          - name: two-steps
            on: perfex.leads.created
            do:
              - id: lead
                perfex.leads.get: {id: "{{ event.data.id }}"}
              - webhook:
                  url: "https://x.example/{{ steps.lead.id }}"
                  headers: {Authorization: "Bearer abc", X-Kind: lead}
                  body: {name: "{{ steps.lead.body.name }}", status: "{{ steps.lead.status }}"}
                  secret: very-secret
              - webhook: {url: "https://x.example"}
                if: event.data.id > 100
        """
    )
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"id": "e", "type": "perfex.leads.created", "source": "perfex", "data": {"id": 5}}
        )
    )
    assert cli.test(str(event), str(path)) == 0
    out = capsys.readouterr().out
    assert "very-secret" not in out and "abc" not in out
    steps = json.loads(out)["matched"][0]["steps"]
    assert steps[0]["params"] == {"id": 5}
    assert steps[1]["params"]["secret"] == REDACTED
    assert steps[1]["params"]["headers"] == {"Authorization": REDACTED, "X-Kind": "lead"}
    assert steps[1]["params"]["url"] == "https://x.example/<steps.lead.id>"
    assert steps[1]["params"]["body"] == {"name": "<steps.lead.body.name>", "status": 200}
    assert steps[2] == {"id": None, "action": "webhook", "skipped": True}
    assert "placeholders" in json.loads(out)["notes"][0]


def test_bad_event_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An event file that is not a full event is a clear error, exit 1."""
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"type": "perfex.leads.created", "data": {}}))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert cli.test(str(partial), str(RULES)) == 1
    assert "not a full event: missing id, source" in capsys.readouterr().err
    assert cli.test(str(broken), str(RULES)) == 1
    assert "broken.json:1: not JSON" in capsys.readouterr().err
    assert cli.test(str(tmp_path / "none.json"), str(RULES)) == 1
    assert "cannot read" in capsys.readouterr().err


def test_template_error_in_dry_run_exits_1(
    write_rules: WriteRules, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A step whose template fails shows its error and makes the run exit 1."""
    path = write_rules(
        """
        rules:
          - name: a
            on: perfex.leads.created
            do: [{webhook: {url: "https://x.example", body: "{{ event.data.nmae }}"}}]
        """
    )
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"id": "e", "type": "perfex.leads.created", "source": "perfex", "data": {"name": "x"}}
        )
    )
    assert cli.test(str(event), str(path)) == 1
    step = json.loads(capsys.readouterr().out)["matched"][0]["steps"][0]
    assert "nmae" in step["error"]


def test_check_as_a_subprocess() -> None:
    """The check function works from a fresh interpreter, as the CLI will call it."""
    env = {**os.environ, **EXAMPLE_ENV}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bridge.rules.cli import check; sys.exit(check(sys.argv[1]))",
            str(RULES),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok: 6 rules, 4 hooks in 6 files"


def test_dry_run_masks_values_read_from_the_environment(
    write_rules: WriteRules,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A `${VAR}` value (a chat URL carrying its token) never appears in a dry run."""
    monkeypatch.setenv("CHAT_URL", "https://chat.example/hook?token=t0ps3cret")
    path = write_rules(
        """
        rules:
          - name: chat
            on: perfex.leads.created
            do:
              - webhook: {url: "${CHAT_URL}", body: {text: "lead {{ event.data.id }}"}}
        """
    )
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"id": "e", "type": "perfex.leads.created", "source": "perfex", "data": {"id": 5}}
        )
    )
    assert cli.test(str(event), str(path)) == 0
    out = capsys.readouterr().out
    assert "t0ps3cret" not in out
    assert json.loads(out)["matched"][0]["steps"][0]["params"]["url"] == REDACTED
