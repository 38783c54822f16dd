"""`bridge rules check` on schedules, delays and loops: every problem with its file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.exceptions import RulesError
from bridge.rules.cli import check
from bridge.rules.flow import Delay, ForEach
from bridge.rules.loader import Source, load_sources
from bridge.scheduler.spec import Schedule


def _errors(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        load_sources([Source("r.yml", text)], environ={})
    return list(caught.value.problems)


def _rule(body: str, on: str = "perfex.leads.created", extra: str = "") -> str:
    return f"rules:\n  - name: r\n    on: {on}\n{extra}    do:\n{body}"


HOOK = '      - webhook: {url: "https://x.example/h"}\n'


def test_good_flow_rules_load() -> None:
    """A schedule rule with a for_each, a delay and a delay_until loads, compiled."""
    text = _rule(
        '      - for_each: "{{ event.data.items }}"\n'
        "        max_items: 5\n"
        "        do:\n"
        '          - webhook: {url: "https://x.example/{{ index }}", body: {n: "{{ item.n }}"}}\n'
        "      - delay: 2d\n"
        '      - delay_until: "{{ event.time }}"\n' + HOOK,
        on="schedule",
        extra='    schedule: {cron: "0 9 * * 1", timezone: Europe/Athens}\n',
    )
    rule = load_sources([Source("r.yml", text)], environ={}).rules[0]
    assert rule.on == ("schedule.r",)
    assert rule.schedule == Schedule(cron="0 9 * * 1", timezone="Europe/Athens")
    loop, delay, until = rule.steps[0].flow, rule.steps[1].flow, rule.steps[2].flow
    assert isinstance(loop, ForEach) and loop.max_items == 5 and len(loop.steps) == 1
    assert delay == Delay(seconds=2 * 86400)
    assert isinstance(until, Delay) and until.until is not None


@pytest.mark.parametrize(
    ("schedule", "line", "message"),
    [
        ('{cron: "61 * * * *"}', 4, "bad cron '61 * * * *'"),
        ('{cron: "* * * * * */2"}', 4, "give five fields"),
        ('{cron: "0 9 * * *", timezone: Mars/Olympus}', 4, "unknown timezone 'Mars/Olympus'"),
        ("{every: 3w}", 4, "'3w' is not a duration"),
        ("{every: 0s}", 4, "every must be between 1s and 366d"),
        ('{cron: "* * * * *", every: 5m}', 4, "exactly one of cron or every"),
        ('{cron: "* * * * *", when: 5}', 4, "unknown key 'when'"),
        ("daily", 4, "must be a mapping"),
    ],
)
def test_bad_schedules(schedule: str, line: int, message: str) -> None:
    """A bad cron, an unknown timezone or a malformed every is an error on its line."""
    errors = _errors(_rule(HOOK, on="schedule", extra=f"    schedule: {schedule}\n"))
    assert len(errors) == 1
    assert errors[0].startswith(f"r.yml:{line}: rule 'r': schedule: ")
    assert message in errors[0]


def test_schedule_missing_or_misplaced() -> None:
    """`on: schedule` without a schedule, and a schedule on another trigger, are errors."""
    missing = _errors(_rule(HOOK, on="schedule"))
    assert missing == [
        "r.yml:3: rule 'r': on: schedule needs a schedule: {cron: '0 9 * * 1'} or {every: 5m}"
    ]
    misplaced = _errors(_rule(HOOK, extra="    schedule: {every: 5m}\n"))
    assert misplaced == ["r.yml:4: rule 'r': schedule: applies only to rules with on: schedule"]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("      - delay: 31d\n", "r.yml:5: rule 'r' step 1: delay: 31d is over the 30 day maximum"),
        ("      - delay: soon\n", "r.yml:5: rule 'r' step 1: delay: 'soon' is not a duration"),
        ("      - delay: 5\n", "r.yml:5: rule 'r' step 1: delay: 5 is not a duration"),
        (
            '      - delay_until: "next tuesday"\n',
            "r.yml:5: rule 'r' step 1: delay_until: 'next tuesday' is not an ISO time",
        ),
        (
            "      - delay: 1d\n        retry: {attempts: 2}\n",
            "r.yml:6: rule 'r' step 1: delay takes only delay, id, if, not 'retry'",
        ),
        (
            '      - for_each: "abc"\n        do:\n' + "  " + HOOK,
            "r.yml:5: rule 'r' step 1: for_each: 'abc' is not a list",
        ),
        (
            "      - for_each: {a: 1}\n        do:\n" + "  " + HOOK,
            "r.yml:5: rule 'r' step 1: for_each: must be a list or a template",
        ),
        (
            '      - for_each: "{{ event.data }}"\n        max_items: 0\n        do:\n'
            + "  "
            + HOOK,
            "r.yml:6: rule 'r' step 1: max_items must be a whole number from 1 to 100000",
        ),
        (
            '      - for_each: "{{ event.data }}"\n        max_items: many\n        do:\n'
            + "  "
            + HOOK,
            "r.yml:6: rule 'r' step 1: max_items must be a whole number",
        ),
        (
            '      - for_each: "{{ event.data }}"\n',
            "r.yml:5: rule 'r' step 1: for_each needs a do: list of steps",
        ),
        (
            '      - webhook: {url: "https://x.example/h", body: {n: "{{ item.n }}"}}\n',
            "r.yml:5: rule 'r' step 1 webhook.body.n: unknown name 'item' in template",
        ),
    ],
)
def test_bad_flow_steps(step: str, message: str) -> None:
    """Each malformed delay, for_each or stray `item` is one error at its line."""
    errors = _errors(_rule(step))
    assert len(errors) == 1, errors
    assert errors[0].startswith(message), errors


def test_item_outside_for_each_says_where_it_exists() -> None:
    """`item` used after the loop is refused with a hint, while inside it is fine."""
    text = _rule(
        '      - for_each: "{{ event.data }}"\n        do:\n'
        '          - webhook: {url: "https://x.example/{{ item.id }}"}\n'
        '      - webhook: {url: "https://x.example/{{ item.id }}"}\n'
    )
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0].startswith("r.yml:8: ")
    assert "item exists only in the do: steps of a for_each" in errors[0]


def test_check_command_prints_file_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`bridge rules check` prints each flow problem as file:line and exits 1."""
    path = tmp_path / "r.yml"
    path.write_text(
        _rule("      - delay: 40d\n", on="schedule", extra="    schedule: {every: 9x}\n")
    )
    code = check(str(path))
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1
    assert f"{path}:4: rule 'r': schedule: every:" in text
    assert f"{path}:6: rule 'r' step 1: delay: 40d is over the 30 day maximum" in text


def test_schedule_rule_names_are_plain() -> None:
    """A schedule rule named with a glob or a space is refused: it names an event type."""
    text = _rule(HOOK, on="schedule", extra="    schedule: {every: 5m}\n").replace(
        "name: r", "name: 'night *'"
    )
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0].startswith("r.yml:2: rule 'night *': a schedule rule's name is its event")


def test_schedule_in_a_list_of_triggers_is_refused() -> None:
    """`on: [schedule, ...]` is one clear error, not "no event type can match"."""
    errors = _errors(
        _rule(HOOK, on="[schedule, perfex.leads.created]", extra="    schedule: {every: 5m}\n")
    )
    assert errors == [
        "r.yml:3: rule 'r': on: schedule stands alone (a schedule rule has no other trigger)"
    ]
