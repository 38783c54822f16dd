"""Job leases: a SIGKILLed worker's step is retaken in seconds, a slow live one's never."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

from bridge.executor import history, leases
from bridge.executor.limits import Limiter, TargetLimits
from tests.executor.helpers import Receiver, run_status, store_event, wait_for

_WORKER = (
    "import sys; from bridge.settings import load_settings; from workers.worker import run_worker;"
    " sys.exit(run_worker(load_settings()))"
)


def _start_worker(redis_url: str, rules: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    """A real `bridge worker` process with the default 60 s job timeout and lease."""
    env = {
        **os.environ,
        "BRIDGE_REDIS_URL": redis_url,
        "BRIDGE_RULES": str(rules),
        "BRIDGE_DATA_DIR": str(data_dir),
        "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
        "BRIDGE_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-c", _WORKER], env=env, cwd=Path(__file__).parents[2])


def _rules(tmp_path: Path, url: str) -> Path:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: slow\n    on: perfex.leads.created\n"
        f'    do:\n      - webhook: {{url: "{url}/in", timeout: 30}}\n'
    )
    return rules


async def _holder(redis: Redis, run_id: str) -> str | None:
    raw = await redis.get("bridge:run:" + run_id)
    inflight = json.loads(raw).get("inflight") if raw else None
    return inflight.get("worker") if inflight else None


async def _stop(*workers: subprocess.Popen[bytes]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            await asyncio.to_thread(worker.wait, 30)
        except subprocess.TimeoutExpired:
            worker.kill()


async def test_sigkilled_workers_step_is_retaken_within_the_lease(
    redis: Redis, redis_url: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    """kill -9 mid-step: the idle worker re-runs it within ~10 s, same webhook-id, one success,
    and the history records the re-run after the lost lease."""
    app, url = receiver
    app.delay = 40.0  # the first request hangs until its worker is killed
    rules = _rules(tmp_path, url)
    workers = [_start_worker(redis_url, rules, tmp_path) for _ in range(2)]
    try:
        await asyncio.sleep(1.0)  # both started and idle
        await store_event(redis, "lease-1", n=1)
        run_id = "lease-1:slow"
        await wait_for(lambda: _has_holder(redis, run_id), within=30)
        await wait_for(lambda: _received(app, 1), within=30)
        holder = await _holder(redis, run_id)
        assert holder is not None
        pid = int(holder.split(":")[1])
        victim = next(w for w in workers if w.pid == pid)
        app.delay = 0.0
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await asyncio.to_thread(victim.wait, 10)
        await wait_for(lambda: _received(app, 2), within=20, interval=0.05)
        retaken = time.monotonic() - killed
        await wait_for(lambda: _succeeded(redis, run_id), within=20)
    finally:
        await _stop(*workers)
    print(f"\nlease: step re-run {retaken:.1f} s after the SIGKILL")
    assert retaken <= leases.LEASE_SECONDS + 5
    requests = app.on("/in")
    assert len(requests) == 2
    assert requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]
    run = await history.get_run(redis, run_id)
    assert run is not None
    outcomes = [a["outcome"] for a in run["attempts"]]
    assert outcomes.count("succeeded") == 1 and outcomes.count("interrupted") == 1
    lost = next(a for a in run["attempts"] if a["outcome"] == "interrupted")
    assert lost.get("rerun") == "lease_lost" and holder in lost["error"]


async def test_slow_step_on_a_live_worker_is_never_taken_over(
    redis: Redis, redis_url: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    """A 25 s step (well past the 10 s lease) on a live worker runs once; the idle worker
    never starts it."""
    app, url = receiver
    app.delay = 25.0
    rules = _rules(tmp_path, url)
    workers = [_start_worker(redis_url, rules, tmp_path) for _ in range(2)]
    try:
        await asyncio.sleep(1.0)
        await store_event(redis, "lease-2", n=2)
        await wait_for(lambda: _succeeded(redis, "lease-2:slow"), within=60, interval=0.25)
    finally:
        await _stop(*workers)
    assert len(app.on("/in")) == 1
    run = await history.get_run(redis, "lease-2:slow")
    assert run is not None
    assert [a["outcome"] for a in run["attempts"]] == ["succeeded"]


async def _has_holder(redis: Redis, run_id: str) -> bool:
    return await _holder(redis, run_id) is not None


async def _received(app: Receiver, count: int) -> bool:
    return len(app.on("/in")) >= count


async def _succeeded(redis: Redis, run_id: str) -> bool:
    return await run_status(redis, run_id) == "succeeded"


async def test_a_job_finishing_after_sigterm_keeps_its_lease(
    redis: Redis, redis_url: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    """SIGTERM gives running jobs time to finish: a 15 s step (past the 10 s lease) keeps its
    lease meanwhile, so the idle worker does not start it a second time."""
    app, url = receiver
    app.delay = 15.0
    rules = _rules(tmp_path, url)
    workers = [_start_worker(redis_url, rules, tmp_path) for _ in range(2)]
    try:
        await asyncio.sleep(1.0)
        await store_event(redis, "lease-3", n=3)
        await wait_for(lambda: _has_holder(redis, "lease-3:slow"), within=30)
        await wait_for(lambda: _received(app, 1), within=30)
        holder = await _holder(redis, "lease-3:slow")
        assert holder is not None
        stopping = next(w for w in workers if w.pid == int(holder.split(":")[1]))
        stopping.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(stopping.wait, 40) == 0
        await wait_for(lambda: _succeeded(redis, "lease-3:slow"), within=20, interval=0.25)
    finally:
        await _stop(*workers)
    assert len(app.on("/in")) == 1


async def test_a_held_limit_slot_is_renewed_while_held_and_freed_soon_after_its_holder_dies(
    redis: Redis,
) -> None:
    """A concurrency slot stays held past its lease while renewed; once renewals stop (the
    holder died) another worker gets it within the lease, not after a minute."""
    holder = Limiter(redis, perfex=TargetLimits(concurrency=1), lease_seconds=1.0)
    other = Limiter(redis, perfex=TargetLimits(concurrency=1), lease_seconds=1.0)
    taken = await holder.try_admit("perfex")
    assert taken.admitted and holder.held
    for _ in range(4):  # 2 s of renewals, twice the lease
        await asyncio.sleep(0.5)
        assert await leases.renew(redis, [], 1.0, holder) == 0
        assert not (await other.try_admit("perfex")).admitted
    await asyncio.sleep(1.2)  # no renewal: the holder is gone
    assert (await other.try_admit("perfex")).admitted


async def test_renewal_with_nothing_held_sends_nothing(redis: Redis) -> None:
    """An idle worker's renewal makes no Redis call at all."""
    limiter = Limiter(redis, perfex=TargetLimits(concurrency=1))
    before = await redis.info("stats")
    assert await leases.renew(redis, [], 10.0, limiter) == 0
    after = await redis.info("stats")
    assert after["total_commands_processed"] - before["total_commands_processed"] == 1
