"""The runner called directly: stale jobs, crash-interrupted attempts, missing rule or event."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bridge.executor import dlq, history, jobs, runner
from bridge.executor.records import Run
from bridge.executor.runner import Executor
from bridge.settings import Settings
from tests.executor.helpers import Receiver, rules_from, store_event


def _rules(url: str) -> str:
    return f"""
rules:
  - name: once
    on: perfex.leads.created
    do:
      - webhook: {{url: "{url}/in"}}
        retry: {{attempts: 2, backoff: 0.05}}
"""


@pytest.fixture
async def executor(
    redis: Redis, settings: Settings, receiver: tuple[Receiver, str]
) -> AsyncIterator[Executor]:
    """A worker's executor on the test Valkey, with the receiver's rules."""
    ex = jobs.build_executor(redis, settings, rules_from(_rules(receiver[1])))
    yield ex
    await jobs.close_executor(ex)


async def _new_run(ex: Executor, event_id: str) -> Run:
    await store_event(ex.redis, event_id)
    run = Run(f"{event_id}:once", event_id, "perfex.leads.created", "once")
    await ex.store.create_many([run])
    return run


async def test_a_stale_or_finished_job_does_nothing(
    executor: Executor, receiver: tuple[Receiver, str]
) -> None:
    """A job with an old dispatch number, or for a finished run, sends nothing."""
    await _new_run(executor, "s1")
    assert await runner.run_rule(executor, "s1:once", 5) == "stale"
    assert await runner.run_rule(executor, "s1:once", 0) == "succeeded"
    assert await runner.run_rule(executor, "s1:once", 0) == "stale"
    assert await runner.run_rule(executor, "nope:once", 0) == "missing"
    assert len(receiver[0].received) == 1


async def test_crash_interrupted_attempts_count_toward_the_limit(
    executor: Executor, receiver: tuple[Receiver, str]
) -> None:
    """A step whose worker died on its last allowed attempt goes dead, not around again."""
    run = await _new_run(executor, "p1")
    state = run.step(0, "0", "webhook")
    state.attempts = 2
    run.status, run.inflight = "running", {"step": 0, "attempt": 2, "started": time.time()}
    await executor.store.save(run, "queued")
    assert await runner.run_rule(executor, "p1:once", 0) == "dead"
    assert receiver[0].received == []
    detail = await history.get_run(executor.redis, "p1:once")
    assert detail is not None
    assert [a["outcome"] for a in detail["attempts"]] == ["interrupted"]
    assert "interrupted" in detail["error"]
    assert [x["id"] for x in await dlq.list_letters(executor.redis)] == ["p1:once"]


async def test_missing_event_or_rule_fails_the_run(executor: Executor) -> None:
    """A run whose event expired or whose rule was removed is dead-lettered with the reason."""
    await _new_run(executor, "m1")
    await executor.redis.delete("bridge:event:m1")
    assert await runner.run_rule(executor, "m1:once", 0) == "failed"
    ghost = Run("g1:gone", "g1", "perfex.leads.created", "gone")
    await store_event(executor.redis, "g1")
    await executor.store.create_many([ghost])
    assert await runner.run_rule(executor, "g1:gone", 0) == "failed"
    letters = {x["id"]: x["error"] for x in await dlq.list_letters(executor.redis)}
    assert "no longer stored" in letters["m1:once"]
    assert "not loaded" in letters["g1:gone"]
