"""`bridge rules test` (the dry run) on flow steps: what a delay and a for_each would do."""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.rules.dryrun import dry_run
from bridge.rules.loader import Source, load_sources

RULES = """
rules:
  - name: digest
    on: schedule
    schedule: {every: 1h}
    do:
      - for_each: "{{ event.data.rows }}"
        do:
          - if: item.status == '4'
            webhook: {url: "${HOOK_URL}", body: {text: "row {{ item.id }} of {{ index }}"}}
      - delay_until: "{{ event.data.when }}"
      - delay: 5m
"""
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _run(rows: object) -> list[dict[str, object]]:
    ruleset = load_sources([Source("d.yml", RULES)], environ={"HOOK_URL": "https://h.example/s3"})
    event = {
        "id": "schedule.digest:1",
        "type": "schedule.digest",
        "source": "bridge",
        "data": {"rows": rows, "when": "2026-12-04T08:00:00Z", "rule": "digest"},
    }
    result = dry_run(ruleset, event, now=NOW)
    (matched,) = result["matched"]
    steps: list[dict[str, object]] = matched["steps"]
    return steps


def test_flow_steps_show_item_count_first_item_and_resume_times() -> None:
    """A for_each gives its item count and the first item's rendered steps (secrets
    masked); delay and delay_until give their resume time, not empty params."""
    fan, until, delay = _run([{"id": "1", "status": "4"}, {"id": "2", "status": "1"}])
    assert fan["items"] == 2 and "params" not in fan
    first = fan["first_item"]
    assert isinstance(first, dict) and first["item"] == {"id": "1", "status": "4"}
    (webhook,) = first["steps"]
    assert webhook["params"] == {"url": "[redacted]", "body": {"text": "row 1 of 0"}}
    assert until["resume_at"] == "2026-12-04T08:00:00Z" and until["seconds"] == 79200
    assert delay == {
        "id": None,
        "action": "delay",
        "skipped": False,
        "seconds": 300,
        "resume_at": "2026-12-03T10:05:00Z",
    }


def test_a_for_each_over_an_empty_or_wrong_value() -> None:
    """An empty list shows 0 items and no first item; a value that is no list is the
    step's error (the other steps still render)."""
    fan, _, delay = _run([])
    assert fan["items"] == 0 and "first_item" not in fan
    fan, _, delay = _run("not a list")
    assert "list" in str(fan["error"]) and delay["seconds"] == 300
