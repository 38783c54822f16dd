"""The builder API with the engine's schedules and flow steps: `on: schedule`, `delay`,
`for_each` with a nested `do:`, round-tripped, dry-run and sampled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.rules.loader import load
from tests.builder.conftest import Api

INVOICES = [
    {"id": "7", "status": "4", "total": "120.00"},
    {"id": "8", "status": "2", "total": "80.00"},
    {"id": "9", "status": "4", "total": "15.50"},
]


def overdue_rule(name: str = "overdue-digest", **extra: Any) -> dict[str, Any]:
    """Every Monday at 9: list invoices, a webhook per overdue one, then wait and ping."""
    return {
        "name": name,
        "on": "schedule",
        "schedule": {"cron": "0 9 * * 1", "timezone": "Europe/Berlin"},
        "do": [
            {"id": "invoices", "perfex.invoices.list": {"per_page": 50}},
            {
                "for_each": "{{ steps.invoices.body }}",
                "max_items": 100,
                "do": [
                    {
                        "if": "item.status == '4'",
                        "webhook": {
                            "url": "https://chat.example.com/hook",
                            "body": {"text": "Invoice {{ item.id }} is overdue ({{ index }})"},
                        },
                    }
                ],
            },
            {"delay": "2h"},
            {"webhook": {"url": "https://chat.example.com/hook", "body": {"text": "done"}}},
        ],
        **extra,
    }


def test_schedule_rule_round_trips_through_create_get_put(api: Api, rules_root: Path) -> None:
    """A schedule rule with for_each and delay is saved, read back unchanged, and edited."""
    with api() as client:
        response = client.post("/rules", json={"rule": overdue_rule()})
        assert response.status_code == 201, response.text
        got = client.get("/rules/overdue-digest").json()
        assert got["rule"]["on"] == "schedule"
        assert got["rule"]["schedule"] == {"cron": "0 9 * * 1", "timezone": "Europe/Berlin"}
        assert got["rule"]["do"][1]["for_each"] == "{{ steps.invoices.body }}"
        assert got["rule"]["do"][1]["do"][0]["if"] == "item.status == '4'"
        assert got["rule"]["do"][2] == {"delay": "2h"}
        edited = {**got["rule"], "schedule": {"every": "30m"}}
        response = client.put(
            "/rules/overdue-digest", json={"rule": edited, "version": got["version"]}
        )
        assert response.status_code == 200, response.text
        again = client.get("/rules/overdue-digest").json()["rule"]
        assert again["schedule"] == {"every": "30m"}
    ruleset = load(rules_root)
    rule = ruleset.rule("overdue-digest")
    assert rule is not None and [s.action for s in rule.steps][1:3] == ["for_each", "delay"]


def test_dry_run_shows_what_the_flow_steps_would_do(api: Api) -> None:
    """The dry run gives the delay's resume time, the list's item count and the first
    item's rendered nested steps (on a given tick event)."""
    rule = overdue_rule()
    rule["do"][0] = {"id": "invoices", "perfex.invoices.list": {"per_page": 50}}
    rule["do"][1]["for_each"] = "{{ event.data.invoices }}"
    event = {
        "type": "schedule.overdue-digest",
        "time": "2026-12-07T08:00:00Z",
        "data": {
            "scheduled_for": "2026-12-07T08:00:00Z",
            "rule": "overdue-digest",
            "invoices": INVOICES,
        },
    }
    with api() as client:
        response = client.post("/rules/test", json={"rule": rule, "event": event})
        assert response.status_code == 200, response.text
        result = response.json()
    assert result["matched"] is True
    fan, delay = result["steps"][1], result["steps"][2]
    assert fan["action"] == "for_each"
    assert fan["items"] == 3
    first = fan["first_item"]
    assert first["item"] == INVOICES[0]
    nested = first["steps"][0]
    assert nested["action"] == "webhook" and nested["skipped"] is False
    assert "Invoice 7 is overdue (0)" in nested["request"]["body"]
    assert delay["action"] == "delay" and delay["seconds"] == 7200
    resume = datetime.fromisoformat(delay["resume_at"].replace("Z", "+00:00"))
    expected = datetime.now(UTC) + timedelta(hours=2)
    assert abs((resume - expected).total_seconds()) < 60


def test_dry_run_of_a_schedule_rule_on_its_default_sample(api: Api) -> None:
    """Without an event the builder tries a schedule rule on its own tick's sample."""
    with api() as client:
        response = client.post("/rules/test", json={"rule": overdue_rule()})
        assert response.status_code == 200, response.text
        result = response.json()
    assert result["matched"] is True, result
    assert result["event"]["type"] == "schedule.overdue-digest"
    assert result["event"]["data"]["rule"] == "overdue-digest"
    fan = result["steps"][1]
    assert fan["action"] == "for_each" and fan["items"] is None and "steps.invoices" in fan["note"]
    nested = fan["first_item"]["steps"][0]
    assert nested["action"] == "webhook"
    assert nested["skipped"] is True  # the placeholder item's status is not '4'
    assert result["steps"][0]["request"]["url"].endswith("/api/v3/invoices?per_page=50") or (
        "invoices" in result["steps"][0]["request"]["url"]
    )


def test_sample_of_a_saved_schedule_rule(api: Api) -> None:
    """GET /api/samples/schedule.<rule> answers a tick of that rule once it is loaded."""
    with api() as client:
        assert client.post("/rules", json={"rule": overdue_rule()}).status_code == 201
        from tests.builder.test_rules_api import wait_for

        def sample() -> Any:
            answer = client.get("/samples/schedule.overdue-digest")
            return answer.json() if answer.status_code == 200 else None

        got = wait_for(sample)
        assert got, client.get("/samples/schedule.overdue-digest").text
        assert got["event"]["type"] == "schedule.overdue-digest"
        assert got["event"]["data"]["rule"] == "overdue-digest"
        assert client.get("/samples/schedule.nope").status_code == 404


def test_dry_run_reports_a_for_each_over_a_non_list_and_a_bad_delay_until(api: Api) -> None:
    """A for_each whose value is not a list and a delay_until that is no time are errors
    of their step in the dry run, not a crash."""
    rule = {
        "name": "bad-flow",
        "on": "perfex.leads.created",
        "do": [
            {
                "for_each": "{{ event.data.name }}",
                "do": [{"webhook": {"url": "https://x.example"}}],
            },
            {"delay_until": "{{ event.data.name }}"},
        ],
    }
    event = {"type": "perfex.leads.created", "data": {"id": "1", "name": "Ada"}}
    with api() as client:
        response = client.post("/rules/test", json={"rule": rule, "event": event})
        assert response.status_code == 200, response.text
        steps = response.json()["steps"]
    assert "not a list" in steps[0]["error"] or "list" in steps[0]["error"]
    assert "delay_until" in steps[1]["error"]
