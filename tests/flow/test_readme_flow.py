"""The README's schedules, delays and loops example loads as written."""

from __future__ import annotations

import re
from pathlib import Path

from bridge.rules.flow import Delay, ForEach
from bridge.rules.loader import Source, load_sources

ROOT = Path(__file__).resolve().parents[2]


def test_readme_flow_example_loads() -> None:
    """The yaml block of "Schedules, delays and loops" passes the rules check."""
    section = (ROOT / "README.md").read_text().split("## Schedules, delays and loops", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    env = {"CHAT_WEBHOOK_URL": "https://chat.example.com/hook"}
    ruleset = load_sources([Source("readme.yml", block[1])], environ=env)
    overdue, failures = ruleset.rules
    assert overdue.on == ("schedule.monday-overdue",)
    assert [type(s.flow) for s in overdue.steps] == [type(None), ForEach, Delay, type(None)]
    assert failures.on == ("bridge.run.dead_lettered",)
