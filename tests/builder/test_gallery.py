"""The template gallery: every template passes `bridge rules check` once its needs are given."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bridge.builder.gallery import GalleryError, parse_template, template, templates
from bridge.builder.reference_samples import reference_event
from bridge.perfex.catalogue import OPERATIONS
from bridge.rules import cli
from bridge.rules.dryrun import dry_run
from bridge.rules.loader import Source, load_sources

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RULES = ROOT / "rules"
EVERYDAY = {
    "new-customer-welcome-task",
    "ticket-from-group-to-chat",
    "task-completed-webhook",
    "lead-status-to-chat",
    "payment-thank-you",
}
SHIPPED = {
    "form-to-lead",
    "github-issue-to-task",
    "new-lead-to-chat",
    "stripe-payment",
    "ticket-auto-reply",
}
_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)\}")
IDS = [item["id"] for item in templates()]


def _locate(rule: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The mapping holding a needs path's value and its key: `do[0].perfex.tasks.create.x`."""
    if "." not in path:
        return rule, path
    head, rest = path.split(".", 1)
    match = re.fullmatch(r"do\[(\d+)\]", head)
    assert match, path
    step = rule["do"][int(match.group(1))]
    action = next(key for key in step if rest.startswith(key + "."))
    return step[action], rest[len(action) + 1 :]


def _env_value(name: str) -> str:
    return "https://hooks.example.com/T000" if name.endswith("_URL") else f"value-of-{name}"


def _write(folder: Path, item: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"rules": [item["rule"]]}
    if item["hooks"]:
        doc["hooks"] = item["hooks"]
    out = io.StringIO()
    YAML().dump(doc, out)
    path = folder / f"{item['id']}.yml"
    path.write_text(out.getvalue())
    return folder


def _fill(item: dict[str, Any]) -> dict[str, Any]:
    filled = copy.deepcopy(item)
    for path in item["needs"]["fields"]:
        holder, key = _locate(filled["rule"], path)
        if holder.get(key) is None:
            holder[key] = 1
    return filled


def test_a_schedule_and_a_push_template_are_there() -> None:
    """The gallery starts a scheduled rule with a for_each and a rule on a pushed event."""
    by_id = {item["id"]: item for item in templates()}
    weekly = by_id["weekly-overdue-invoices"]["rule"]
    assert weekly["on"] == "schedule" and weekly["schedule"]["cron"] == "0 9 * * 1"
    fan = weekly["do"][1]
    assert "perfex.invoices.list" in weekly["do"][0] and "for_each" in fan
    assert "item.status" in fan["do"][0]["if"] and "webhook" in fan["do"][0]
    assert by_id["invoice-paid-thank-you"]["rule"]["on"] == "perfex.invoices.paid"


def test_at_least_ten_templates_with_the_shipped_and_everyday_ones() -> None:
    """The five shipped examples and the five everyday automations of the issue are there."""
    ids = set(IDS)
    assert len(IDS) == len(ids) >= 10
    assert ids >= SHIPPED | EVERYDAY
    assert {item["id"] for item in templates() if item["shipped"]} == SHIPPED


@pytest.mark.parametrize("template_id", IDS)
def test_template_passes_rules_check_once_filled(
    template_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With its env variables set and its needed ids given, the template checks clean."""
    item = template(template_id)
    assert item is not None
    for name in item["needs"]["env"]:
        monkeypatch.setenv(name, _env_value(name))
    folder = _write(tmp_path / "rules", _fill(item))
    code = cli.check(str(folder))
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize("template_id", IDS)
def test_needed_fields_are_left_for_the_user(template_id: str) -> None:
    """Each needed field is empty in the template (or, for `if:`, matches nothing yet), and
    names a field of the step's action."""
    item = template(template_id)
    assert item is not None
    for path in item["needs"]["fields"]:
        holder, key = _locate(item["rule"], path)
        if path == "if":
            assert "in []" in holder[key]
            continue
        assert holder[key] is None, f"{path} is filled in the template"
        action = path.split(".", 1)[1].rsplit(".", 1)[0]
        op = OPERATIONS[action]
        assert key in {*op.path_params, *op.required, *op.optional}


@pytest.mark.parametrize("template_id", IDS)
def test_secrets_are_only_environment_references(template_id: str) -> None:
    """Every ${VAR} the template reads is in needs.env, each listed one is used, and hook
    secrets are ${VAR} references, never values."""
    item = template(template_id)
    assert item is not None
    used = set(_ENV_REF.findall(item["yaml"]))
    assert used == set(item["needs"]["env"])
    for hook in item["hooks"]:
        assert _ENV_REF.fullmatch(str(hook.get("secret", "${X}")))


@pytest.mark.parametrize("template_id", IDS)
def test_yaml_text_is_the_rule_with_its_comments(template_id: str) -> None:
    """`yaml` is an ordinary rules file: the same rule and hooks, comments kept, no template key."""
    item = template(template_id)
    assert item is not None
    doc = YAML(typ="safe", pure=True).load(item["yaml"])
    assert "template" not in doc
    assert doc["rules"] == [item["rule"]]
    assert doc.get("hooks", []) == item["hooks"]
    assert "#" in item["yaml"]


@pytest.mark.parametrize("template_id", sorted(SHIPPED))
def test_shipped_templates_match_the_examples_in_rules(template_id: str) -> None:
    """A shipped example's template, given the example's ids, is the example's rule."""
    path = SHIPPED_RULES / f"{template_id}.yml"
    if not path.exists():
        pytest.skip(f"{path} is no longer shipped in rules/")
    shipped = YAML(typ="safe", pure=True).load(path.read_text())
    item = template(template_id)
    assert item is not None
    rule = copy.deepcopy(item["rule"])
    for needed in item["needs"]["fields"]:
        holder, key = _locate(rule, needed)
        example_holder, _ = _locate(shipped["rules"][0], needed)
        holder[key] = example_holder[key]
    example = {k: v for k, v in shipped["rules"][0].items() if k != "enabled"}
    assert rule == example
    assert item["hooks"] == shipped.get("hooks", [])


def test_templates_are_fresh_copies() -> None:
    """Changing a returned template does not change the next answer."""
    first = templates()
    first[0]["rule"]["name"] = "changed"
    assert templates()[0]["rule"]["name"] != "changed"
    assert template("no-such-template") is None


@pytest.mark.parametrize(
    "text",
    [
        "- a list\n",
        "rules: []\n",
        "template: {title: T, description: D}\nrules: []\n",
        "template: {title: T}\nrules: [{name: x, on: perfex.leads.created, do: []}]\n",
        "template: {description: D}\nrules: [{name: x}]\n",
    ],
)
def test_malformed_gallery_files_are_refused(text: str) -> None:
    """A gallery file without a template block, a title and one rule is a GalleryError."""
    with pytest.raises(GalleryError):
        parse_template("bad.yml", text)


#: What a template's trigger event needs to hold for its condition to pass.
MATCHING_DATA: dict[str, dict[str, Any]] = {
    "task-completed-webhook": {"status": "5"},
    "ticket-auto-reply": {"status": "1"},
}


@pytest.mark.parametrize("template_id", IDS)
def test_template_dry_runs_cleanly_on_its_sample_event(
    template_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filled in, the template matches a sample event of its trigger and renders every step."""
    item = template(template_id)
    assert item is not None
    env = {name: _env_value(name) for name in item["needs"]["env"]}
    filled = _fill(item)
    event_type = filled["rule"]["on"]
    if event_type == "schedule":  # a scheduled rule's ticks are `schedule.<rule>`
        event_type = f"schedule.{filled['rule']['name']}"
    verify = next(
        (h["verify"] for h in item["hooks"] if event_type.startswith(f"webhook.{h['name']}")), None
    )
    event = reference_event(event_type, verify=verify)
    event["data"].update(MATCHING_DATA.get(template_id, {}))
    if template_id == "ticket-from-group-to-chat":
        filled["rule"]["if"] = f"event.data.userid | string in ['{event['data']['userid']}']"
    doc = {"hooks": filled["hooks"], "rules": [filled["rule"]]}
    out = io.StringIO()
    YAML().dump(doc, out)
    ruleset = load_sources([Source("t.yml", out.getvalue())], environ=env)
    result = dry_run(ruleset, event)
    assert [m["rule"] for m in result["matched"]] == [filled["rule"]["name"]], result
    for step in result["matched"][0]["steps"]:
        assert "error" not in step, step
        assert not step["skipped"]
        for nested in step.get("first_item", {}).get("steps", []):
            assert "error" not in nested, nested
    for value in env.values():
        assert value not in json.dumps(result)
