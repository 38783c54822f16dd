"""`delay` / `delay_until`: the run parks (no worker held), resumes on time, can be cancelled."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from bridge.exceptions import RunNotCancellable
from bridge.executor import cancel
from bridge.executor.history import RunStore, get_run
from bridge.executor.records import run_id_for
from bridge.settings import Settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import Receiver, rules_from, run_status, store_event, wait_for


def _rules(url: str, wait: str) -> str:
    return f"""
rules:
  - name: later
    on: perfex.leads.created
    do:
      - webhook: {{url: "{url}/before"}}
      - {wait}
      - webhook: {{url: "{url}/after", body: {{lead: "{{{{ event.data.id }}}}"}}}}
"""


async def _record(redis: Redis, run_id: str) -> dict[str, object]:
    raw = await redis.get("bridge:run:" + run_id)
    assert raw
    record: dict[str, object] = json.loads(raw)
    return record


async def test_delay_parks_without_a_worker_and_resumes_on_time(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """During `delay: 3s` the run is `waiting` with its resume time, no job is in progress,
    and the next step runs within a second after that time, once."""
    app, url = receiver
    run_id = run_id_for("lead-1", "later")
    async with worker(settings, rules_from(_rules(url, "delay: 3s"))):
        await store_event(redis, "lead-1", id=1)
        await wait_for(lambda: _is(redis, run_id, "waiting"))
        record = await _record(redis, run_id)
        parked_at = time.time()
        wake = float(str(record["next_attempt_at"]))
        assert record["wake_at"] == wake
        assert 2.0 < wake - parked_at <= 3.1
        assert [k async for k in redis.scan_iter(match="arq:in-progress:*")] == []
        assert await redis.zscore("bridge:queue", f"run:{run_id}:{record['dispatch']}") == (
            pytest.approx(wake * 1000, abs=5)
        )
        await wait_for(lambda: _is(redis, run_id, "succeeded"), within=10)
    (after,) = app.on("/after")
    assert len(app.on("/before")) == 1
    assert wake <= after.at < wake + 1.0
    run = await get_run(redis, run_id)
    assert run is not None
    assert [s["status"] for s in run["steps"]] == ["succeeded"] * 3
    assert run["outputs"]["1"]["status"] == "waited"
    assert run["wake_at"] is None


async def _is(redis: Redis, run_id: str, status: str) -> bool:
    return await run_status(redis, run_id) == status


async def test_delay_until_in_the_past_goes_straight_on(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """A `delay_until` time already past does not park the run."""
    app, url = receiver
    rules = rules_from(_rules(url, 'delay_until: "{{ event.data.when }}"'))
    run_id = run_id_for("lead-2", "later")
    async with worker(settings, rules):
        await store_event(redis, "lead-2", id=2, when="2020-01-01T00:00:00Z")
        await wait_for(lambda: _is(redis, run_id, "succeeded"))
    assert len(app.on("/after")) == 1


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ((datetime.now(UTC) + timedelta(days=31)).isoformat(), "more than 30 days ahead"),
        ("soon-ish", "is not an ISO time"),
        (None, "is not an ISO time"),
    ],
)
async def test_delay_until_beyond_30_days_or_malformed_fails_the_run(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
    when: str | None,
    message: str,
) -> None:
    """A rendered time over 30 days ahead, or no time at all, fails the run (dead letter)."""
    app, url = receiver
    rules = rules_from(_rules(url, 'delay_until: "{{ event.data.when }}"'))
    run_id = run_id_for("lead-3", "later")
    async with worker(settings, rules):
        await store_event(redis, "lead-3", id=3, when=when)
        await wait_for(lambda: _is(redis, run_id, "failed"))
    record = await _record(redis, run_id)
    assert message in str(record["error"])
    assert app.on("/after") == []


async def test_cancel_a_waiting_run_stops_it_for_good(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """A cancelled waiting run never runs its next step; its due job does nothing."""
    app, url = receiver
    run_id = run_id_for("lead-4", "later")
    store = RunStore(redis, 3600)
    async with worker(settings, rules_from(_rules(url, "delay: 2s"))):
        await store_event(redis, "lead-4", id=4)
        await wait_for(lambda: _is(redis, run_id, "waiting"))
        cancelled = await cancel.cancel_run(store, run_id)
        assert cancelled is not None and cancelled.status == "cancelled"
        with pytest.raises(RunNotCancellable):
            await cancel.cancel_run(store, run_id)
        await wait_for(lambda: _job_gone(redis), within=10)  # the due job came and went
    assert await run_status(redis, run_id) == "cancelled"
    assert app.on("/after") == []
    assert await cancel.cancel_run(store, "no-such-run") is None


async def _job_gone(redis: Redis) -> bool:
    return int(await redis.zcard("bridge:queue")) == 0


async def test_an_overdue_waiting_run_whose_job_was_lost_is_resumed(redis: Redis) -> None:
    """A waiting run past its time with no job gets one (once); one with its job is left."""
    from bridge.executor import delays
    from bridge.executor.records import Run, job_id_for

    store = RunStore(redis, 3600)
    runs = [Run(f"ev:{name}", "ev", "perfex.leads.created", name) for name in ("lost", "kept")]
    await store.create_many(runs)
    for run in runs:
        run.status, run.wake_at, run.next_attempt_at = "waiting", time.time() - 1, time.time() - 1
        run.dispatch = 1
        await store.save(run, "queued", enqueue_after=0.0)
    await redis.delete("arq:job:" + job_id_for("ev:lost", 1))
    assert await delays.rescue_overdue(store, grace=60) == []  # not overdue long enough
    assert await delays.rescue_overdue(store, grace=0) == ["ev:lost"]
    assert await delays.rescue_overdue(store, grace=0) == []
    assert await redis.exists("arq:job:" + job_id_for("ev:lost", 2))
    assert await redis.exists("arq:job:" + job_id_for("ev:kept", 1))
    assert not await redis.exists("arq:job:" + job_id_for("ev:kept", 2))
