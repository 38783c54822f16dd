"""Perfex steps against the sandbox: outputs, transient faults retried, rejections not."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from bridge.executor import history
from bridge.loopback.servers import serve_in_thread
from bridge.sandbox.app import create_app
from bridge.settings import load_settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import rules_from, run_status, store_event, wait_for

TOKEN = "executor-sandbox-token"

RULES = """
rules:
  - name: lead
    on: perfex.leads.created
    do:
      - id: made
        perfex.leads.create:
          source: 1
          status: 1
          assigned: 1
          name: "Lead {{ event.data.n }}"
        retry: {attempts: 4, backoff: 0.05}
      - id: read
        perfex.leads.get: {id: "{{ event.data.lookup }}"}
        retry: {attempts: 4, backoff: 0.05}
"""


@pytest.fixture
def sandbox() -> Iterator[str]:
    """The Perfex sandbox on 127.0.0.1."""
    with serve_in_thread(create_app(token=TOKEN)) as url:
        yield url


def _fault(url: str, **spec: object) -> None:
    answer = httpx.post(url + "/_sandbox/faults", json=spec, headers={"x-sandbox-token": TOKEN})
    answer.raise_for_status()


async def test_perfex_404_is_not_retried_and_outputs_are_kept(
    redis: Redis, redis_url: str, worker: WorkerFactory, sandbox: str
) -> None:
    """A 5xx on create is retried; a 404 "status": false on get fails once, no retry."""
    _fault(sandbox, route="/api/leads", method="POST", mode="error", count=2)
    settings = load_settings(
        redis_url=redis_url, perfex_url=sandbox + "/api", perfex_token=TOKEN, rules="/x"
    )
    async with worker(settings, rules_from(RULES)):
        await store_event(redis, "lead-1", n=7, lookup=987654)
        await wait_for(lambda: _status(redis, "lead-1:lead", "failed"))
    run = await history.get_run(redis, "lead-1:lead")
    assert run is not None
    made = [a for a in run["attempts"] if a["key"] == "made"]
    assert [a["status"] for a in made] == [500, 500, 200]
    assert run["outputs"]["made"]["status"] == 200
    read = [a for a in run["attempts"] if a["key"] == "read"]
    assert len(read) == 1 and read[0]["status"] == 404 and read[0]["outcome"] == "failed"
    assert read[0]["request"]["path"] == "/leads/{id}"
    assert TOKEN not in str(run)
    async with httpx.AsyncClient() as client:
        answer = await client.get(sandbox + "/_sandbox/calls", headers={"x-sandbox-token": TOKEN})
    calls = answer.json()
    assert TOKEN not in str(calls)


async def test_perfex_rate_limit_waits_for_retry_after(
    redis: Redis, redis_url: str, worker: WorkerFactory, sandbox: str
) -> None:
    """A 429 from Perfex is retried no sooner than its Retry-After."""
    _fault(sandbox, route="/api/leads", method="POST", mode="rate_limit", retry_after=2, count=1)
    settings = load_settings(
        redis_url=redis_url, perfex_url=sandbox + "/api", perfex_token=TOKEN, rules="/x"
    )
    async with worker(settings, rules_from(RULES)):
        await store_event(redis, "lead-2", n=8, lookup=1)
        await wait_for(lambda: _made(redis, "lead-2:lead"))
    run = await history.get_run(redis, "lead-2:lead")
    assert run is not None
    made = [a for a in run["attempts"] if a["key"] == "made"]
    assert [a["status"] for a in made] == [429, 200]
    assert made[1]["started"] - made[0]["started"] >= 2.0


async def _status(redis: Redis, run_id: str, status: str) -> bool:
    return await run_status(redis, run_id) == status


async def _made(redis: Redis, run_id: str) -> bool:
    run = await history.get_run(redis, run_id)
    return bool(run and "made" in run["outputs"])
