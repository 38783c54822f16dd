"""`bridge dlq list|replay` and `bridge events replay` through the functions bridge.cli calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.constants import QUEUE_NAME
from bridge.executor import admin_cli
from bridge.executor.history import RunStore
from bridge.executor.records import Run, RunStatus
from bridge.settings import Settings, load_settings
from tests.executor.helpers import store_event

RULES = """
rules:
  - name: ping
    on: perfex.leads.created
    do: [{webhook: {url: "http://127.0.0.1:9/x"}}]
"""


@pytest.fixture
def cli_settings(redis_url: str, tmp_path: Path) -> Settings:
    """Settings naming the test Valkey and a rules file."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    return load_settings(redis_url=redis_url, rules=rules)


async def _dead_run(redis: Redis, run_id: str) -> None:
    store = RunStore(redis, 3600)
    run = Run(run_id, "ev", "perfex.leads.created", "ping", status=RunStatus.dead.value)
    await store.create_many([run])
    await redis.delete("arq:job:" + f"run:{run_id}:0")
    await redis.zrem(QUEUE_NAME, f"run:{run_id}:0")
    letter = {"id": run_id, "rule": "ping", "step": 0, "status": "dead", "error": "boom", "time": 1}
    await store.save(run, RunStatus.dead.value, dead_letter={**letter, "run_id": run_id})


async def test_dlq_list_prints_letters(
    redis: Redis, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty queue says so; a letter is listed with its rule and error."""
    assert await asyncio.to_thread(admin_cli.dlq_list, cli_settings) == 0
    assert "empty" in capsys.readouterr().out
    await _dead_run(redis, "ev:ping")
    assert await asyncio.to_thread(admin_cli.dlq_list, cli_settings) == 0
    out = capsys.readouterr().out
    assert "ev:ping" in out and "boom" in out and "1 dead letter" in out


async def test_dlq_replay_one_all_and_unknown(
    redis: Redis, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replay by id queues a new job; --all empties the queue; an unknown id exits 1."""
    await _dead_run(redis, "a:ping")
    await _dead_run(redis, "b:ping")
    assert await asyncio.to_thread(admin_cli.dlq_replay, cli_settings, "a:ping", False) == 0
    assert await redis.zscore(QUEUE_NAME, "run:a:ping:1") is not None
    assert await asyncio.to_thread(admin_cli.dlq_replay, cli_settings, "nope", False) == 1
    assert "no dead letter" in capsys.readouterr().err
    assert await asyncio.to_thread(admin_cli.dlq_replay, cli_settings, None, True) == 0
    assert "Replayed 1" in capsys.readouterr().out
    assert await redis.zcard(constants.DLQ_INDEX) == 0


async def test_event_replay_queues_new_runs(
    redis: Redis, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bridge events replay ID` queues `<id>:<rule>:replay-1`; an unknown id exits 1."""
    await store_event(redis, "ev1", n=1)
    assert await asyncio.to_thread(admin_cli.event_replay, cli_settings, "ev1") == 0
    assert "ev1:ping:replay-1" in capsys.readouterr().out
    assert await redis.zscore(QUEUE_NAME, "run:ev1:ping:replay-1:0") is not None
    assert await asyncio.to_thread(admin_cli.event_replay, cli_settings, "missing") == 1
    assert "no stored event" in capsys.readouterr().err
