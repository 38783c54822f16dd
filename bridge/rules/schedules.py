"""Load-time checks of `on: schedule` rules and their `schedule:` key, each `file:line`."""

from __future__ import annotations

import logging
from typing import Any

from bridge.rules.problems import Problems, key_line
from bridge.scheduler.spec import Schedule, ScheduleError, parse_schedule

logger = logging.getLogger("bridge.rules.schedules")

#: The `on:` value of a rule started by its own schedule.
ON_SCHEDULE = "schedule"


def is_scheduled(raw: dict[Any, Any]) -> bool:
    """Whether a rule is `on: schedule` (its `on` becomes `schedule.<name>`)."""
    return raw.get("on") == ON_SCHEDULE


def check_schedule(
    raw: dict[Any, Any], file: str, label: str, problems: Problems
) -> Schedule | None:
    """The rule's Schedule, or None: no schedule, or problems reported."""
    given = raw.get("schedule")
    if not is_scheduled(raw):
        if "schedule" in raw:
            problems.error(
                file,
                key_line(raw, "schedule"),
                f"{label}: schedule: applies only to rules with on: schedule",
            )
        return None
    if given is None:
        problems.error(
            file,
            key_line(raw, "on"),
            f"{label}: on: schedule needs a schedule: {{cron: '0 9 * * 1'}} or {{every: 5m}}",
        )
        return None
    try:
        return parse_schedule(given)
    except ScheduleError as exc:
        problems.error(file, key_line(raw, "schedule"), f"{label}: {exc}")
        return None
