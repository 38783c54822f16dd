"""Load-time checks of `on: schedule` rules and their `schedule:` key, each `file:line`."""

from __future__ import annotations

import logging
import re
from typing import Any

from bridge.rules.problems import Problems, key_line
from bridge.scheduler.spec import Schedule, ScheduleError, parse_schedule

logger = logging.getLogger("bridge.rules.schedules")

#: The `on:` value of a rule started by its own schedule.
ON_SCHEDULE = "schedule"
#: A schedule rule's name becomes its event type `schedule.<name>`: no glob characters.
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


def is_scheduled(raw: dict[Any, Any]) -> bool:
    """Whether a rule is `on: schedule` (its `on` becomes `schedule.<name>`)."""
    return raw.get("on") == ON_SCHEDULE


def names_schedule(raw: dict[Any, Any]) -> bool:
    """Whether `on:` names `schedule` at all (alone, or wrongly in a list)."""
    on = raw.get("on")
    return on == ON_SCHEDULE or (isinstance(on, list) and ON_SCHEDULE in on)


def check_schedule(
    raw: dict[Any, Any], file: str, label: str, problems: Problems
) -> Schedule | None:
    """The rule's Schedule, or None: no schedule, or problems reported."""
    given = raw.get("schedule")
    on = raw.get("on")
    if isinstance(on, list) and ON_SCHEDULE in on:
        problems.error(
            file,
            key_line(raw, "on"),
            f"{label}: on: schedule stands alone (a schedule rule has no other trigger)",
        )
        return None
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
    name = raw.get("name")
    if isinstance(name, str) and not _PLAIN_NAME.match(name):
        problems.error(
            file,
            key_line(raw, "name"),
            f"{label}: a schedule rule's name is its event type schedule.<name>:"
            " use letters, digits, '_', '-' and '.' only",
        )
    try:
        return parse_schedule(given)
    except ScheduleError as exc:
        problems.error(file, key_line(raw, "schedule"), f"{label}: {exc}")
        return None
