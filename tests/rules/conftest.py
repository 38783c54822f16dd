"""Fixtures for the rules tests: write rules files into a temporary directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.exceptions import RulesError
from bridge.rules import Ruleset, load

WriteRules = Callable[..., Path]


@pytest.fixture
def write_rules(tmp_path: Path) -> WriteRules:
    """Write a dedented YAML text as `rules/<name>` and return the rules directory."""
    root = tmp_path / "rules"
    root.mkdir()

    def write(text: str, name: str = "rules.yml") -> Path:
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """The problems a load reports (failing the test if it loads)."""
    with pytest.raises(RulesError) as caught:
        load(path, environ or {})
    return caught.value.problems


def load_ok(path: Path, environ: dict[str, str] | None = None) -> Ruleset:
    return load(path, environ or {})
