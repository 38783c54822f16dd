"""Hot reload: changes picked up within seconds, broken edits keep the last good rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bridge.rules import Ruleset, RulesWatcher
from tests.rules.conftest import WriteRules

RULE = """
rules:
  - name: {name}
    on: perfex.leads.created
    do: [{{webhook: {{url: "https://x.example"}}}}]
"""


async def _until(condition: object, within: float = 10.0) -> None:
    """Wait (polling) until the callable returns true, or fail after `within` seconds."""
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_reload_break_and_fix(write_rules: WriteRules) -> None:
    """Modify -> new rules; break -> last good kept + errors; fix -> errors cleared."""
    path = write_rules(RULE.format(name="one"))
    reloaded: list[Ruleset] = []
    failures: list[list[str]] = []
    watcher = RulesWatcher(
        path, environ={}, interval=0.1, on_reload=reloaded.append, on_error=failures.append
    )
    async with watcher:
        assert [r.name for r in watcher.current.rules] == ["one"]
        assert watcher.generation == 1 and watcher.errors == [] and watcher.ok
        assert watcher.loaded_at is not None

        write_rules(RULE.format(name="two"))
        await _until(lambda: watcher.generation == 2)
        assert [r.name for r in watcher.current.rules] == ["two"]

        write_rules("rules:\n  - name: two\n    on: perfex.leads.created\n    do: []\n")
        await _until(lambda: watcher.errors)
        assert [r.name for r in watcher.current.rules] == ["two"]
        assert watcher.errors[0].startswith(f"{path / 'rules.yml'}:4: rule 'two': do:")
        assert failures == [watcher.errors] and not watcher.ok

        write_rules(RULE.format(name="three"))
        await _until(lambda: not watcher.errors)
        assert [r.name for r in watcher.current.rules] == ["three"]
        assert watcher.generation == 3
    assert [[r.name for r in rs.rules] for rs in reloaded] == [["one"], ["two"], ["three"]]


async def test_new_file_in_directory_is_loaded(write_rules: WriteRules) -> None:
    """A file added to the rules directory is picked up."""
    path = write_rules(RULE.format(name="one"), "a.yml")
    async with RulesWatcher(path, environ={}, interval=0.1) as watcher:
        write_rules(RULE.format(name="two"), "b.yaml")
        await _until(lambda: len(watcher.current.rules) == 2)
        assert watcher.current.files == [str(path / "a.yml"), str(path / "b.yaml")]


async def test_missing_path_gives_empty_rules_and_an_error(tmp_path: Path) -> None:
    """A rules path that does not exist: empty ruleset plus an error, loaded once it appears."""
    path = tmp_path / "later"
    async with RulesWatcher(path, environ={}, interval=0.1) as watcher:
        assert watcher.current.rules == [] and watcher.generation == 0
        assert watcher.errors == [f"{path}: rules path does not exist"]
        path.mkdir()
        (path / "r.yml").write_text(RULE.format(name="late"), encoding="utf-8")
        await _until(lambda: watcher.generation == 1)
        assert [r.name for r in watcher.current.rules] == ["late"] and watcher.errors == []


def test_load_now_without_changes_is_a_no_op(write_rules: WriteRules) -> None:
    """Polling unchanged files does not reload (the generation stays)."""
    watcher = RulesWatcher(write_rules(RULE.format(name="one")), environ={})
    assert watcher.load_now() is True
    assert watcher.load_now() is False
    assert watcher.generation == 1
