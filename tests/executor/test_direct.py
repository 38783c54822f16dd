"""Routed runs start in the routing worker (executor/direct.py), keeping a job's guarantees."""

from __future__ import annotations

import asyncio
import json
import time

from redis.asyncio import Redis

from bridge.constants import QUEUE_NAME
from bridge.executor import history, keys, leases
from bridge.executor.history import RunStore
from bridge.executor.records import Run, job_id_for
from bridge.settings import Settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import Receiver, rules_from, run_status, store_event, wait_for


def _rules(url: str, retry: str = "") -> str:
    return (
        "rules:\n  - name: hook\n    on: perfex.leads.created\n"
        f'    do:\n      - webhook: {{url: "{url}/in"}}\n{retry}'
    )


async def _succeeded(redis: Redis, run_id: str) -> bool:
    return await run_status(redis, run_id) == "succeeded"


async def _no_job_left(redis: Redis) -> None:
    assert await redis.zcard(QUEUE_NAME) == 0
    assert await redis.keys(keys.ARQ_JOB + "*") == []


async def test_a_routed_run_runs_here_under_a_lease_and_leaves_no_job(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """While the step runs, its job waits in the queue due a lease from now (arq skips it,
    no arq in-progress mark); the save that ends the run deletes the job."""
    app, url = receiver
    app.delay = 1.0
    job_id = job_id_for("d1:hook", 0)
    async with worker(settings, rules_from(_rules(url))):
        await store_event(redis, "d1")
        await wait_for(lambda: _arrived(app, 1))
        due_ms = await redis.zscore(QUEUE_NAME, job_id)
        assert due_ms is not None
        assert due_ms / 1000 > time.time() + leases.LEASE_SECONDS - 3
        assert not await redis.exists("arq:in-progress:" + job_id)
        run = json.loads(await redis.get(history.run_key("d1:hook")))
        assert run["inflight"]["worker"] == leases.WORKER_ID
        await wait_for(lambda: _succeeded(redis, "d1:hook"))
    await _no_job_left(redis)
    assert len(app.on("/in")) == 1


async def test_runs_here_and_arq_jobs_share_the_worker_concurrency(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """With BRIDGE_WORKER_CONCURRENCY=2, nine events (and three queued retries' worth of
    arq jobs) never have more than 2 requests out at once, and all are delivered once."""
    app, url = receiver
    app.delay = 0.3
    settings = settings.model_copy(update={"worker_concurrency": 2})
    store = RunStore(redis, 3600)
    queued = [Run(f"q{i}:hook", f"q{i}", "perfex.leads.created", "hook") for i in range(3)]
    for run in queued:
        await store_event(redis, run.event_id)
    await store.create_many(queued)  # ordinary arq jobs, due now
    async with worker(settings, rules_from(_rules(url))):
        for i in range(9):
            await store_event(redis, f"c{i}")
        ids = [f"c{i}:hook" for i in range(9)] + [r.id for r in queued]
        await wait_for(lambda: _all_succeeded(redis, ids), within=30)
    assert app.peak == 2
    assert len(app.on("/in")) == 12
    await _no_job_left(redis)


async def test_a_failed_first_attempt_goes_to_arq_and_the_kept_job_is_dropped(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A 503 on the first attempt schedules the retry as an arq job in the same save that
    deletes the job of the run's first pickup; the retry succeeds and nothing is left."""
    app, url = receiver
    app.script["/in"] = [(503, {})]
    retry = "        retry: {attempts: 3, backoff: 0.05}\n"
    async with worker(settings, rules_from(_rules(url, retry))):
        await store_event(redis, "d2")
        await wait_for(lambda: _succeeded(redis, "d2:hook"))
    run = await history.get_run(redis, "d2:hook")
    assert run is not None
    assert [a["outcome"] for a in run["attempts"]] == ["retrying", "succeeded"]
    assert run["dispatch"] == 1
    await _no_job_left(redis)


async def test_a_success_frees_its_limit_slot_and_closes_the_breaker_in_its_save(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """The slot of a delivered step is gone from the target's semaphore and the breaker's
    failure count is cleared once the run is saved (no separate release call needed)."""
    _, url = receiver
    port = url.rsplit(":", 1)[1]
    target = f"host:127.0.0.1:{port}"
    await redis.hset(keys.BREAKER + target, "failures", "3")  # type: ignore[misc]
    async with worker(settings, rules_from(_rules(url))):
        await store_event(redis, "d3")
        await wait_for(lambda: _succeeded(redis, "d3:hook"))
        assert await redis.zcard(keys.SEMAPHORE + target) == 0
        assert not await redis.exists(keys.BREAKER + target)


async def test_sigterm_hands_a_kept_run_back_at_once(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A run still going when the worker stops (past its completion wait) is made due at
    once: the next worker delivers it in about a second, not after the 10 s lease."""
    app, url = receiver
    app.delay = 8.0
    job_id = job_id_for("d4:hook", 0)
    async with worker(settings, rules_from(_rules(url))):
        await store_event(redis, "d4")
        await wait_for(lambda: _arrived(app, 1))
    due_ms = await redis.zscore(QUEUE_NAME, job_id)
    assert due_ms is not None and due_ms / 1000 <= time.time()
    app.delay = 0.0
    started = time.monotonic()
    async with worker(settings, rules_from(_rules(url))):
        await wait_for(lambda: _succeeded(redis, "d4:hook"), within=20)
    assert time.monotonic() - started < leases.LEASE_SECONDS - 3
    run = await history.get_run(redis, "d4:hook")
    assert run is not None
    assert [a["outcome"] for a in run["attempts"]] == ["interrupted", "succeeded"]
    requests = app.on("/in")
    assert requests[0].headers["webhook-id"] == requests[-1].headers["webhook-id"]


async def test_renewal_pushes_a_kept_jobs_due_time_and_never_brings_one_back(
    redis: Redis,
) -> None:
    """`leases.renew` moves a kept job's due time a lease ahead; a job already deleted by
    its run's last save stays deleted."""
    await redis.zadd(QUEUE_NAME, {"run:k:hook:0": 1})
    assert await leases.renew(redis, [], 10.0, None, kept=["run:k:hook:0", "run:gone:0"]) == 0
    due_ms = await redis.zscore(QUEUE_NAME, "run:k:hook:0")
    assert due_ms is not None and due_ms / 1000 > time.time() + 9
    assert await redis.zscore(QUEUE_NAME, "run:gone:0") is None


async def test_runs_are_created_after_the_server_forgot_its_scripts(redis: Redis) -> None:
    """A restarted Valkey has no scripts (SCRIPT FLUSH here): creation loads it and goes on,
    creating each run once."""
    store = RunStore(redis, 3600)
    assert await store.create_many([Run("f1:hook", "f1", "perfex.leads.created", "hook")])
    await redis.script_flush()
    runs = [Run(f"f{i}:hook", f"f{i}", "perfex.leads.created", "hook") for i in (1, 2)]
    assert await store.create_many(runs) == [False, True]


async def _arrived(app: Receiver, count: int) -> bool:
    return len(app.on("/in")) >= count


async def _all_succeeded(redis: Redis, run_ids: list[str]) -> bool:
    statuses = await asyncio.gather(*(run_status(redis, run_id) for run_id in run_ids))
    return all(status == "succeeded" for status in statuses)


async def test_a_save_never_drops_the_job_it_queues(redis: Redis) -> None:
    """Told to drop the job it also queues (same dispatch), a save keeps that job: a run
    handed to arq is never left without one."""
    store = RunStore(redis, 3600)
    run = Run("j1:hook", "j1", "perfex.leads.created", "hook")
    await store.create_many([run])
    job_id = job_id_for(run.id, run.dispatch)
    await store.save(run, run.status, enqueue_after=0.0, drop_job=job_id)
    assert await redis.zscore(QUEUE_NAME, job_id) is not None
    assert await redis.exists(keys.ARQ_JOB + job_id)
