"""Many replicas: one poller per resource at a time, a standby takes over from a dead one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

from bridge.poller import keys
from bridge.poller.runner import Timing
from bridge.poller.service import PollerService
from tests.poller.conftest import (
    FAST,
    TOKEN,
    Control,
    make_settings,
    running,
    settle,
    stored_events,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]


def _start_poller(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`python -m workers.poller` as a real process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "workers.poller", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _leads(n: int, tag: str) -> list[dict[str, str]]:
    return [{"name": f"{tag} {i}", "status": "1", "source": "1", "assigned": "1"} for i in range(n)]


async def _count_is(redis: Redis, n: int) -> bool:
    return len(await stored_events(redis)) >= n


async def test_two_pollers_fire_each_event_once(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Two pollers on one Redis: one holds the lock, every record fires exactly once."""
    other = Redis.from_url(redis_url)
    settings = make_settings(control.url, redis_url, poll_resources=("leads", "customers"))
    first = PollerService(settings, redis, timing=FAST)
    second = PollerService(settings, other, timing=FAST)
    try:
        async with running(first), running(second):
            await settle(redis, "leads")
            for round_ in range(5):
                await control.advance(5)
                await control.create("leads", _leads(8, f"r{round_}"))
                await control.create("customers", [{"company": f"c{round_}"}])
                await asyncio.sleep(0.15)
            await wait_until(lambda: _count_is(redis, 45), what="45 events")
            await settle(redis, "leads", polls=3)
    finally:
        await other.aclose()
    events = await stored_events(redis)
    assert len(events) == 45
    assert len({e["id"] for e in events}) == 45
    assert not await redis.exists(keys.LOCK + "leads")  # both released on stop


def _poller_env(control: Control, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `python -m workers.poller` polling the sandbox's leads."""
    return {
        **os.environ,
        "BRIDGE_PERFEX_URL": control.url + "/api",
        "BRIDGE_PERFEX_TOKEN": TOKEN,
        "BRIDGE_REDIS_URL": redis_url,
        "BRIDGE_POLL_INTERVAL": "0.5",
        "BRIDGE_POLL_RESOURCES": "leads",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


async def test_standby_takes_over_from_a_killed_poller(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """SIGKILL the lock holder (a real process): the standby takes over, nothing lost or doubled."""
    env = _poller_env(control, redis_url, BRIDGE_RECONCILE_INTERVAL="1")
    holder = _start_poller(env, "--lock-ttl", "1")
    try:
        await wait_until(lambda: _has_lock(redis), what="the subprocess taking the lock")
        await settle(redis, "leads")
        standby_timing = Timing(poll_interval=0.5, reconcile_interval=1, lock_ttl=1)
        standby = PollerService(
            make_settings(control.url, redis_url, poll_interval=0.5),
            redis,
            timing=standby_timing,
        )
        async with running(standby):
            await control.advance(5)
            await control.create("leads", _leads(10, "before"))
            await wait_until(lambda: _count_is(redis, 10), what="10 events from the holder")
            holder_token = await redis.get(keys.LOCK + "leads")
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            killed = time.monotonic()
            await control.advance(5)
            await control.create("leads", _leads(10, "after"))
            await wait_until(
                lambda: _lock_changed(redis, holder_token), what="the standby taking the lock"
            )
            took_over = time.monotonic() - killed
            await wait_until(lambda: _count_is(redis, 20), what="10 events from the standby")
            await settle(redis, "leads", polls=3)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
    events = await stored_events(redis)
    assert len(events) == 20
    assert len({e["id"] for e in events}) == 20
    assert took_over < 10  # lock TTL 1 s; generous for a loaded machine


async def _has_lock(redis: Redis) -> bool:
    return bool(await redis.exists(keys.LOCK + "leads"))


async def _lock_changed(redis: Redis, old: bytes | None) -> bool:
    current = await redis.get(keys.LOCK + "leads")
    return current is not None and current != old


async def test_sigterm_releases_the_lock_and_exits_0(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """`python -m workers.poller` stops on SIGTERM, frees its lock at once and exits 0."""
    env = _poller_env(control, redis_url)
    process = _start_poller(env)
    try:
        await wait_until(lambda: _has_lock(redis), what="the process taking the lock")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert not await redis.exists(keys.LOCK + "leads")


def test_missing_perfex_url_is_one_clear_line() -> None:
    """Without BRIDGE_PERFEX_URL the process says so on one line and exits 1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    result = subprocess.run(
        [sys.executable, "-m", "workers.poller"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT), "BRIDGE_REDIS_URL": "redis://127.0.0.1:1/0"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "BRIDGE_PERFEX_URL" in result.stderr
