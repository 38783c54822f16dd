"""The deploy files stay in step with the commands and settings they use."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bridge.cli import _build_parser
from bridge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _load_all(path: Path) -> list[Any]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc]


def test_compose_runs_redis_with_aof_and_every_part() -> None:
    """docker-compose: Redis with AOF, and web, worker, poller as `bridge` commands."""
    (compose,) = _load_all(ROOT / "deploy" / "docker-compose.yml")
    services = compose["services"]
    assert "--appendonly" in services["redis"]["command"]
    assert {name: services[name]["command"] for name in ("web", "worker", "poller")} == {
        "web": ["web"],
        "worker": ["worker"],
        "poller": ["poller"],
    }


def test_deploy_files_use_only_real_commands_and_settings() -> None:
    """Every bridge container runs a real command; every BRIDGE_* name is a real setting."""
    commands = _commands()
    settings = {"BRIDGE_" + name.upper() for name in Settings.model_fields}
    paths = [ROOT / "deploy" / "docker-compose.yml", *ROOT.glob("deploy/kubernetes/*.yaml")]
    containers = 0
    for path in paths:
        for doc in _load_all(path):
            for node in _walk(doc):
                names = {key for key in node if isinstance(key, str) and key.startswith("BRIDGE_")}
                assert names <= settings, f"{path.name}: unknown {names - settings}"
                if str(node.get("image", "")).startswith("perfex-bridge"):
                    argv = node.get("args") or node.get("command")
                    if argv:
                        containers += 1
                        assert argv[0] in commands, f"{path.name}: no command {argv[0]!r}"
    assert containers >= 6, "web, worker and poller in compose and in Kubernetes"


def _commands() -> set[str]:
    for action in _build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    raise AssertionError("the bridge parser has no sub-commands")


def _walk(doc: Any) -> Iterator[dict[Any, Any]]:
    """Every mapping in a loaded YAML document."""
    if isinstance(doc, dict):
        yield doc
        for value in doc.values():
            yield from _walk(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _walk(item)
