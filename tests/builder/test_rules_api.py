"""The rules API over HTTP on the real web app, with real files in a temporary rules dir."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.redaction import REDACTED
from tests.builder.conftest import SHARED, SHOP_TOKEN, Api

LEAD = {"type": "perfex.leads.created", "data": {"id": "5", "name": "Ada Lovelace", "status": "2"}}


def task_rule(name: str = "call-lead", **extra: Any) -> dict[str, Any]:
    """New lead -> a task to call them (complete, so it passes the checks)."""
    return {
        "name": name,
        "on": "perfex.leads.created",
        "do": [
            {
                "perfex.tasks.create": {
                    "name": "Call {{ event.data.name }}",
                    "startdate": "{{ now.strftime('%Y-%m-%d') }}",
                    "rel_type": "lead",
                    "rel_id": "{{ event.data.id }}",
                }
            }
        ],
        **extra,
    }


def wait_for(check: Any, timeout: float = 10) -> Any:
    """Poll `check()` until it returns something truthy (the watcher reloads every second)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def loaded(client: httpx.Client, name: str) -> dict[str, Any] | None:
    """The rule as GET /api/rules shows it once the watcher has loaded it."""
    rules = client.get("/rules").json()["rules"]
    return next((r for r in rules if r["name"] == name), None)


# -- create -----------------------------------------------------------------------------


def test_create_writes_a_file_the_bridge_loads(api: Api, rules_root: Path) -> None:
    """POST /api/rules: 201, `<rules>/<name>.yml` written, hot reload shows it, audited."""
    with api() as client:
        response = client.post("/rules", json={"rule": task_rule()})
        assert response.status_code == 201, response.text
        body = response.json()
        path = rules_root / "call-lead.yml"
        assert body["name"] == "call-lead" and body["file"] == str(path)
        assert path.read_text().startswith("# call-lead: made with the rule builder")
        shown = wait_for(lambda: loaded(client, "call-lead"))
        assert shown is not None and shown["enabled"] is True
        got = client.get("/rules/call-lead").json()
        assert got["rule"] == task_rule() and got["version"] == body["version"]
        assert got["writable"] is True and got["conditions"] == []
        audit = client.get("/rules/audit").json()["items"]
    assert [(a["rule"], a["change"]) for a in audit] == [("call-lead", "created")]
    assert audit[0]["who"].startswith("admin token")


def test_create_reports_every_error_with_its_field_path(api: Api, rules_root: Path) -> None:
    """422 lists all problems at once, each at its field: the missing Perfex field, an
    unknown action, a broken template, a bad `on:`; nothing is written."""
    rule = task_rule()
    del rule["do"][0]["perfex.tasks.create"]["startdate"]
    rule["do"].append({"perfex.tasks.creat": {"name": "x"}})
    rule["do"].append({"webhook": {"url": "https://x.example", "body": "{{ event.data.name"}})
    rule["on"] = "perfex.leeds.created"
    with api() as client:
        response = client.post("/rules", json={"rule": rule})
    assert response.status_code == 422
    errors = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert errors["do[0].perfex.tasks.create.startdate"] == "required by POST /tasks"
    assert errors["do[1].perfex.tasks.creat"].startswith("unknown action 'perfex.tasks.creat'")
    assert "did you mean 'perfex.tasks.create'" in errors["do[1].perfex.tasks.creat"]
    assert errors["do[2].webhook.body"].startswith("template does not parse")
    assert "no event type can ever match 'perfex.leeds.created'" in errors["on"]
    assert sorted(p.name for p in rules_root.iterdir()) == ["shared.yml"]


def test_create_refuses_a_taken_name(api: Api, rules_root: Path) -> None:
    """A name used by a rule of any file is 409 "name"; the shared file is untouched."""
    with api() as client:
        response = client.post("/rules", json={"rule": task_rule("lead-to-chat")})
    assert response.status_code == 409
    assert response.json()["conflict"] == "name"
    assert (rules_root / "shared.yml").read_text() == SHARED


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"rule": task_rule("../escape")}, "name"),
        ({"rule": task_rule("a/b")}, "name"),
        ({"rule": task_rule("")}, "name"),
        ({"rule": "rules: []"}, ""),
        ({"rule": task_rule(), "hooks": "x"}, "hooks"),
        ({"rule": task_rule(), "hooks": [{"verify": "none"}]}, "hooks[0]"),
    ],
)
def test_create_refuses_hostile_or_malformed_input(
    api: Api, rules_root: Path, body: dict[str, Any], path: str
) -> None:
    """Names that are not file names, a rule that is not an object, bad hooks: 422."""
    with api() as client:
        response = client.post("/rules", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path
    assert sorted(p.name for p in rules_root.iterdir()) == ["shared.yml"]
    assert not (rules_root.parent / "escape.yml").exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[1]",
        b"\xff\xfe",
        b'{"rule": ' + b'"' + b"x" * 600_000 + b'"}',
        b'{"rule": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        b'{"rule": ' + b'{"a":' * 50 + b"1" + b"}" * 50 + b"}",
    ],
    ids=["broken", "array", "not-utf8", "oversized", "deep-json", "deep-rule"],
)
def test_create_refuses_bodies_that_are_not_a_json_object(api: Api, raw: bytes) -> None:
    """Unparseable, non-object, non-UTF-8, oversized or absurdly nested bodies are a 422
    with no write (never a 500)."""
    with api() as client:
        response = client.post("/rules", content=raw)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == ""


def test_literal_secrets_are_never_written(api: Api, rules_root: Path) -> None:
    """A typed-in secret (webhook secret, Authorization header, hook secret) is a 422 telling
    to use an environment variable; `${VAR}` is accepted."""
    rule: dict[str, Any] = {
        "name": "chat",
        "on": "webhook.orders",
        "do": [
            {
                "webhook": {
                    "url": "https://chat.example/hook",
                    "secret": "whsec_literal",
                    "headers": {"Authorization": "Bearer abc123"},
                }
            }
        ],
    }
    hooks = [{"name": "orders", "verify": "token", "secret": "plain-value"}]
    with api() as client:
        response = client.post("/rules", json={"rule": rule, "hooks": hooks})
        assert response.status_code == 422
        paths = {e["path"] for e in response.json()["errors"]}
        assert paths == {
            "do[0].webhook.secret",
            "do[0].webhook.headers.Authorization",
            "hooks[0].secret",
        }
        assert all("environment variable" in e["message"] for e in response.json()["errors"])
        rule["do"][0]["webhook"]["secret"] = "${CHAT_SECRET}"
        rule["do"][0]["webhook"]["headers"]["Authorization"] = "Bearer ${CHAT_TOKEN}"
        hooks[0]["secret"] = "${ORDERS_TOKEN}"
        response = client.post("/rules", json={"rule": {**rule, "enabled": False}, "hooks": hooks})
    assert response.status_code == 201, response.text
    text = (rules_root / "chat.yml").read_text()
    assert "whsec_literal" not in text and "plain-value" not in text
    assert "# Environment variables this file needs: CHAT_SECRET, CHAT_TOKEN, ORDERS_TOKEN" in text
    assert {w["message"] for w in response.json()["warnings"]} >= {
        "environment variable CHAT_SECRET is not set (set it before enabling the rule)"
    }


def test_create_with_a_hook_whose_variable_is_unset(api: Api, rules_root: Path) -> None:
    """An enabled rule on a new hook whose secret variable is unset: 422 at hooks[0].secret."""
    rule = {
        "name": "orders",
        "on": "webhook.orders",
        "do": [{"webhook": {"url": "https://x.example"}}],
    }
    hooks = [{"name": "orders", "verify": "token", "secret": "${ORDERS_TOKEN_UNSET}"}]
    with api() as client:
        response = client.post("/rules", json={"rule": rule, "hooks": hooks})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "hooks[0].secret", "message": "environment variable ORDERS_TOKEN_UNSET is not set"}
    ]


# -- read / edit ------------------------------------------------------------------------


def test_get_unknown_rule_is_404(api: Api) -> None:
    """An unknown name is a JSON 404."""
    with api() as client:
        response = client.get("/rules/nope")
    assert response.status_code == 404 and "nope" in response.json()["error"]


def test_put_keeps_hand_written_comments(api: Api, rules_root: Path) -> None:
    """Editing a rule of the shared hand-written file changes its lines only, comments stay."""
    with api() as client:
        got = client.get("/rules/lead-to-chat").json()
        assert got["conditions"] == [{"field": "event.data.status", "op": "==", "value": "2"}]
        assert got["hooks"] == [{"name": "shop", "verify": "token", "secret": "${SHOP_TOKEN}"}]
        assert "# the sales channel" in got["yaml"]
        rule = got["rule"]
        rule["do"][0]["webhook"]["url"] = "https://chat.example.com/other"
        response = client.put("/rules/lead-to-chat", json={"rule": rule, "version": got["version"]})
        assert response.status_code == 200, response.text
    text = (rules_root / "shared.yml").read_text()
    for comment in (
        "# Keep these comments!",
        '# only "Contacted"',
        "# the sales channel",
        "# fixed start",
        "# set in the environment",
        "# Tell the channel about leads.",
    ):
        assert comment in text
    assert text == SHARED.replace(
        "https://chat.example.com/hook ", "https://chat.example.com/other"
    )
    assert SHOP_TOKEN not in text


def test_second_editor_gets_409_with_the_difference(api: Api, rules_root: Path) -> None:
    """Two people read the same version; the first save wins, the second gets 409 "version"
    with the rule as it is now, its version and a diff; the file keeps the first edit."""
    with api() as client:
        first = client.get("/rules/order-task").json()
        second = client.get("/rules/order-task").json()
        mine = first["rule"]
        mine["do"][0]["perfex.tasks.create"]["rel_id"] = 8
        assert (
            client.put(
                "/rules/order-task", json={"rule": mine, "version": first["version"]}
            ).status_code
            == 200
        )
        theirs = second["rule"]
        theirs["do"][0]["perfex.tasks.create"]["name"] = "Shop order {{ event.data.id }}"
        response = client.put(
            "/rules/order-task", json={"rule": theirs, "version": second["version"]}
        )
        now = client.get("/rules/order-task").json()
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] == "version"
    assert body["current"] == {"rule": mine, "version": now["version"]}
    assert "-          rel_id: 3\n+          rel_id: 8" in body["diff"]
    assert '-          name: "Shop order {{ event.data.id }}"' in body["diff"]
    assert now["rule"] == mine


def test_put_needs_a_version_and_passes_the_checks(api: Api, rules_root: Path) -> None:
    """No version: 422. A broken edit: 422 at the field, the file unchanged. Unknown: 404."""
    with api() as client:
        got = client.get("/rules/order-task").json()
        rule = got["rule"]
        assert (
            client.put("/rules/order-task", json={"rule": rule}).json()["errors"][0]["path"]
            == "version"
        )
        del rule["do"][0]["perfex.tasks.create"]["rel_type"]
        rule["if"] = "event.data.x ==="
        response = client.put("/rules/order-task", json={"rule": rule, "version": got["version"]})
        missing = client.put("/rules/nope", json={"rule": rule, "version": got["version"]})
    assert response.status_code == 422
    paths = [e["path"] for e in response.json()["errors"]]
    assert "if" in paths and "do[0].perfex.tasks.create.rel_type" in paths
    assert (rules_root / "shared.yml").read_text() == SHARED
    assert missing.status_code == 404


def test_unrepresentable_if_is_kept_verbatim(api: Api, rules_root: Path) -> None:
    """An `if:` the builder cannot show as rows is null in `conditions`, and saving the rule
    with other changes writes that `if:` exactly as it was."""
    expression = "event.data.tags | select('equalto', 'vip') | list | length > 0"
    text = SHARED.replace("if: event.data.status | string == '2'", f'if: "{expression}"')
    (rules_root / "shared.yml").write_text(text)
    with api() as client:
        got = client.get("/rules/lead-to-chat").json()
        assert got["conditions"] is None and got["rule"]["if"] == expression
        rule = got["rule"]
        rule["description"] = "VIP leads"
        response = client.put("/rules/lead-to-chat", json={"rule": rule, "version": got["version"]})
    assert response.status_code == 200, response.text
    after = (rules_root / "shared.yml").read_text()
    assert f'    if: "{expression}"   # only "Contacted"' in after


# -- delete / enabled -------------------------------------------------------------------


def test_delete_from_a_shared_file_and_a_rule_file(api: Api, rules_root: Path) -> None:
    """Deleting a rule of a shared file removes its entry only; a builder file goes whole."""
    with api() as client:
        assert client.post("/rules", json={"rule": task_rule()}).status_code == 201
        response = client.delete("/rules/lead-to-chat")
        assert response.status_code == 200 and response.json()["deleted"] is True
        assert client.delete("/rules/call-lead").status_code == 200
        assert client.delete("/rules/call-lead").status_code == 404
        changes = [(a["rule"], a["change"]) for a in client.get("/rules/audit").json()["items"]]
    text = (rules_root / "shared.yml").read_text()
    assert "lead-to-chat" not in text and "order-task" in text and "# fixed start" in text
    assert not (rules_root / "call-lead.yml").exists()
    assert changes == [
        ("call-lead", "deleted"),
        ("lead-to-chat", "deleted"),
        ("call-lead", "created"),
    ]


def test_delete_with_a_stale_version_is_409(api: Api, rules_root: Path) -> None:
    """DELETE ?version= that is no longer current is refused."""
    with api() as client:
        response = client.delete("/rules/order-task", params={"version": "0" * 64})
    assert response.status_code == 409 and response.json()["conflict"] == "version"
    assert (rules_root / "shared.yml").read_text() == SHARED


def test_enabled_toggles_and_hot_reload_follows(api: Api, rules_root: Path) -> None:
    """POST .../enabled writes `enabled:` in the file; GET /api/rules shows it after reload."""
    with api() as client:
        response = client.post("/rules/lead-to-chat/enabled", json={"enabled": False})
        assert response.status_code == 200, response.text
        assert "    enabled: false\n" in (rules_root / "shared.yml").read_text()
        assert wait_for(lambda: (loaded(client, "lead-to-chat") or {}).get("enabled") is False)
        assert client.post("/rules/lead-to-chat/enabled", json={"enabled": True}).status_code == 200
        assert wait_for(lambda: (loaded(client, "lead-to-chat") or {}).get("enabled") is True)
        bad = client.post("/rules/lead-to-chat/enabled", json={"enabled": "no"})
        changes = [a["change"] for a in client.get("/rules/audit").json()["items"]]
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "enabled"
    assert changes == ["enabled", "disabled"]


def test_switching_on_needs_its_variables(api: Api, rules_root: Path) -> None:
    """A rule saved off with an unset ${VAR} cannot be switched on: 422 at the field."""
    rule = {
        "name": "chat",
        "on": "perfex.leads.created",
        "enabled": False,
        "do": [{"webhook": {"url": "${CHAT_URL_UNSET}"}}],
    }
    with api() as client:
        assert client.post("/rules", json={"rule": rule}).status_code == 201
        response = client.post("/rules/chat/enabled", json={"enabled": True})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "do[0].webhook.url", "message": "environment variable CHAT_URL_UNSET is not set"}
    ]
    assert "enabled: false" in (rules_root / "chat.yml").read_text()


# -- read-only places -------------------------------------------------------------------


def test_single_rules_file_is_read_only(api: Api, rules_root: Path) -> None:
    """BRIDGE_RULES naming one file: GET says not writable; create, edit, enable answer 409
    "read_only" with the YAML to copy; the file is never touched."""
    single = rules_root / "shared.yml"
    with api(rules=single) as client:
        got = client.get("/rules/order-task").json()
        assert got["writable"] is False
        created = client.post("/rules", json={"rule": task_rule()})
        edited = client.put(
            "/rules/order-task", json={"rule": got["rule"], "version": got["version"]}
        )
        toggled = client.post("/rules/order-task/enabled", json={"enabled": False})
        deleted = client.delete("/rules/order-task")
        invalid = client.post("/rules", json={"rule": task_rule("x", on="nope.nope")})
    assert created.status_code == 409 and created.json()["conflict"] == "read_only"
    assert created.json()["yaml"].startswith(SHARED.split("\nrules:")[0])
    assert "  - name: call-lead" in created.json()["yaml"]
    assert edited.status_code == 409 and edited.json()["yaml"] == SHARED
    assert toggled.status_code == 409 and "enabled: false" in toggled.json()["yaml"]
    assert deleted.status_code == 409 and "order-task" not in deleted.json()["yaml"]
    assert invalid.status_code == 422, "the checks still run on a read-only place"
    assert single.read_text() == SHARED
    assert sorted(p.name for p in rules_root.iterdir()) == ["shared.yml"]


def test_read_only_directory(api: Api, rules_root: Path, immutable_rules: Path) -> None:
    """A directory the bridge cannot write (chattr +i: even root): 409 "read_only" with the
    file text it would have written; the dry run still works."""
    with api(rules=immutable_rules) as client:
        created = client.post("/rules", json={"rule": task_rule()})
        tried = client.post("/rules/test", json={"rule": task_rule(), "event": LEAD})
        got = client.get("/rules/order-task").json()
    assert created.status_code == 409 and created.json()["conflict"] == "read_only"
    assert created.json()["yaml"].startswith("# call-lead: made with the rule builder")
    assert tried.status_code == 200 and tried.json()["matched"] is True
    assert got["writable"] is False


# -- dry run ----------------------------------------------------------------------------


def test_dry_run_renders_each_request_and_sends_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /api/rules/test: matched, each step as the request it would make (method, URL,
    headers, body), the Perfex token and secrets masked, `${VAR}` values cut out."""
    monkeypatch.setenv("CHAT_URL", "https://chat.example/hook?token=t0ps3cret")
    monkeypatch.setenv("CHAT_SECRET", "whsec_abcdef")
    rule = task_rule()
    rule["do"][0]["id"] = "task"
    rule["do"].append(
        {
            "webhook": {
                "url": "${CHAT_URL}",
                "secret": "${CHAT_SECRET}",
                "body": {"text": "Call {{ event.data.name }}", "task": "{{ steps.task.id }}"},
            }
        }
    )
    with api(perfex_url="https://crm.example.com/api") as client:
        response = client.post("/rules/test", json={"rule": rule, "event": LEAD})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["matched"] is True and result["sent"] is False
    task, chat = result["steps"]
    assert task["request"]["method"] == "POST"
    assert task["request"]["url"] == "https://crm.example.com/api/tasks"
    assert task["request"]["headers"]["authtoken"] == REDACTED
    assert "name=Call+Ada+Lovelace" in task["request"]["body"]
    assert "rel_id=5" in task["request"]["body"]
    assert chat["request"]["url"] == REDACTED
    assert chat["request"]["headers"]["webhook-signature"] == REDACTED
    assert '"task":"<steps.task.id>"' in chat["request"]["body"]
    assert "t0ps3cret" not in response.text and "whsec_abcdef" not in response.text
    assert any("placeholders" in note for note in result["notes"])


def test_dry_run_without_event_uses_the_sample(api: Api) -> None:
    """No event: the trigger's sample (here the API reference's example lead) is used."""
    with api() as client:
        response = client.post("/rules/test", json={"rule": task_rule()})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["event_source"] in ("stored", "perfex", "reference")
    assert result["event"]["type"] == "perfex.leads.created"
    assert result["steps"][0]["params"]["name"].startswith("Call ")


def test_dry_run_says_why_it_would_not_run(api: Api) -> None:
    """A false `if:` or another event type: matched false with the reason; steps still shown."""
    with api() as client:
        no_if = client.post(
            "/rules/test",
            json={"rule": task_rule(**{"if": "event.data.status | string == '9'"}), "event": LEAD},
        ).json()
        other = client.post(
            "/rules/test",
            json={"rule": task_rule(), "event": {"type": "perfex.tasks.created", "data": {}}},
        ).json()
    assert no_if["matched"] is False and no_if["reason"] == "if: was false for this event"
    assert no_if["steps"][0]["request"]["method"] == "POST"
    assert other["matched"] is False and "does not match" in other["reason"]


def test_dry_run_errors(api: Api) -> None:
    """A rule that does not pass the checks, a glob trigger without an event, a bad event: 422."""
    broken = task_rule()
    del broken["do"][0]["perfex.tasks.create"]["name"]
    with api() as client:
        invalid = client.post("/rules/test", json={"rule": broken, "event": LEAD})
        glob = client.post("/rules/test", json={"rule": task_rule(on="perfex.leads.*")})
        bad_event = client.post("/rules/test", json={"rule": task_rule(), "event": [1]})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["path"] == "do[0].perfex.tasks.create.name"
    assert glob.status_code == 422 and glob.json()["errors"][0]["path"] == "event"
    assert bad_event.status_code == 422 and bad_event.json()["errors"][0]["path"] == "event"


def test_dry_run_of_a_rule_saved_off_with_unset_variables(api: Api) -> None:
    """A rule saved switched off may name variables not set yet: the dry run works, says so."""
    rule = {
        "name": "chat",
        "on": "perfex.leads.created",
        "enabled": False,
        "do": [{"webhook": {"url": "${CHAT_URL_UNSET}", "body": {"n": "{{ event.data.name }}"}}}],
    }
    with api() as client:
        result = client.post("/rules/test", json={"rule": rule, "event": LEAD}).json()
    assert result["matched"] is True
    assert result["steps"][0]["request"]["url"] == "${CHAT_URL_UNSET}"
    assert result["warnings"][0]["path"] == "do[0].webhook.url"
    assert "as if it were on" in result["notes"][0]


# -- conditions, secrets, audit -------------------------------------------------------------


def test_conditions_route_both_ways(api: Api) -> None:
    """Rows become an `if:`; an `if:` becomes rows, or null when it is not rows; bad rows 422."""
    rows = [{"field": "event.data.status", "op": "==", "value": "2"}]
    with api() as client:
        made = client.post("/builder/conditions", json={"rows": rows, "any": True}).json()
        back = client.post("/builder/conditions", json={"if": made["if"]}).json()
        odd = client.post("/builder/conditions", json={"if": "now.hour < 9"}).json()
        bad = client.post("/builder/conditions", json={"rows": [{"field": "x", "op": "=="}]})
        empty = client.post("/builder/conditions", json={})
    assert made == {"if": "event.data.status | string == '2'"}
    assert back == {"rows": rows, "any": False}
    assert odd == {"rows": None, "any": False}
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "rows"
    assert empty.status_code == 422


def test_secrets_route_says_set_or_not_never_the_value(api: Api) -> None:
    """GET /api/builder/secrets: true/false per name, no value; bad names are a 400."""
    with api() as client:
        response = client.get("/builder/secrets", params={"names": "SHOP_TOKEN,NOT_SET_HERE"})
        bad = client.get("/builder/secrets", params={"names": "A;rm -rf"})
    assert response.json() == {"SHOP_TOKEN": True, "NOT_SET_HERE": False}
    assert SHOP_TOKEN not in response.text
    assert bad.status_code == 400


def test_audit_log_is_bounded_and_filtered(api: Api) -> None:
    """?limit= and ?rule= filter the log; a bad limit is a 400."""
    with api() as client:
        for flag in (False, True, False):
            client.post("/rules/order-task/enabled", json={"enabled": flag})
        client.post("/rules/lead-to-chat/enabled", json={"enabled": False})
        two = client.get("/rules/audit", params={"limit": 2}).json()["items"]
        order = client.get("/rules/audit", params={"rule": "order-task"}).json()["items"]
        bad = client.get("/rules/audit", params={"limit": "0"})
    assert [(a["rule"], a["change"]) for a in two] == [
        ("lead-to-chat", "disabled"),
        ("order-task", "disabled"),
    ]
    assert [a["change"] for a in order] == ["disabled", "enabled", "disabled"]
    assert bad.status_code == 400


def test_blank_required_field_is_refused_at_its_path(api: Api, rules_root: Path) -> None:
    """A required field left empty (a template's id not filled in) is a 422 at that field."""
    rule = task_rule()
    rule["do"][0]["perfex.tasks.create"]["rel_id"] = None
    rule["do"][0]["perfex.tasks.create"]["name"] = ""
    with api() as client:
        response = client.post("/rules", json={"rule": rule})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "do[0].perfex.tasks.create.name", "message": "required by POST /tasks"},
    ]


def test_put_updates_the_files_hooks_by_name(api: Api, rules_root: Path) -> None:
    """PUT with `hooks` changes the named hook in place (comments kept) and adds new ones."""
    with api() as client:
        got = client.get("/rules/order-task").json()
        hooks = [
            {
                "name": "shop",
                "verify": "token",
                "secret": "${SHOP_TOKEN}",
                "description": "Web shop",
            },
            {"name": "open", "verify": "none"},
        ]
        response = client.put(
            "/rules/order-task",
            json={"rule": got["rule"], "version": got["version"], "hooks": hooks},
        )
        assert response.status_code == 200, response.text
        after = client.get("/rules/order-task").json()
    assert after["hooks"] == hooks
    text = (rules_root / "shared.yml").read_text()
    assert "    secret: ${SHOP_TOKEN}      # set in the environment" in text
    assert any("verify: none" in w["message"] for w in response.json()["warnings"])


def test_dry_run_on_a_stored_event(api: Api) -> None:
    """`event_id` tries the rule on an event chosen from the stored ones; unknown ids 422."""
    with api() as client:
        base = str(client.base_url).rstrip("/").removesuffix("/api")
        stored = httpx.post(
            base + "/hooks/shop",
            json={"id": 77},
            headers={"Authorization": f"Bearer {SHOP_TOKEN}"},
        )
        assert stored.status_code == 202, stored.text
        event_id = stored.json()["event_id"]
        got = client.get("/rules/order-task").json()
        result = client.post("/rules/test", json={"rule": got["rule"], "event_id": event_id})
        unknown = client.post("/rules/test", json={"rule": got["rule"], "event_id": "nope"})
    assert result.status_code == 200, result.text
    assert result.json()["event_source"] == "stored"
    assert result.json()["event"]["id"] == event_id
    assert result.json()["steps"][0]["params"]["name"] == "Order 77"
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "event_id"


def test_conditions_joined_with_or_read_as_any(api: Api, rules_root: Path) -> None:
    """An `if:` of rows joined with `or` reads back as rows with `conditions_any`."""
    text = SHARED.replace(
        "if: event.data.status | string == '2'",
        "if: event.data.status | string == '2' or event.data.source | string == '4'",
    )
    (rules_root / "shared.yml").write_text(text)
    with api() as client:
        got = client.get("/rules/lead-to-chat").json()
        plain = client.get("/rules/order-task").json()
    assert got["conditions_any"] is True and len(got["conditions"]) == 2
    assert plain["conditions_any"] is False and plain["conditions"] == []


def test_problems_already_in_a_shared_file_do_not_block_other_rules(
    api: Api, rules_root: Path
) -> None:
    """A broken rule already in the shared file is not the edit's fault: switching another
    rule of that file works; a new problem in the edit is still refused."""
    broken = SHARED + "  - name: broken\n    on: perfex.leads.created\n    do: []\n"
    (rules_root / "shared.yml").write_text(broken)
    with api() as client:
        toggled = client.post("/rules/lead-to-chat/enabled", json={"enabled": False})
        got = client.get("/rules/order-task").json()
        rule = got["rule"]
        rule["do"][0]["perfex.tasks.create"]["startdate"] = ""
        edited = client.put("/rules/order-task", json={"rule": rule, "version": got["version"]})
    assert toggled.status_code == 200, toggled.text
    assert edited.status_code == 422
    assert edited.json()["errors"] == [
        {"path": "do[0].perfex.tasks.create.startdate", "message": "required by POST /tasks"}
    ]
