"""A push's Perfex reads take the shared `perfex` limit: concurrency, rate, circuit breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from redis.asyncio import Redis

from bridge.executor import keys as limit_keys
from bridge.executor.jobs import Tuning
from bridge.executor.limits import Limiter, TargetLimits
from bridge.loopback.servers import free_port
from bridge.push import admit
from tests.poller.conftest import Control
from tests.push.conftest import delivery, events, gets, push

LEAD = {"name": "Ada", "status": "1", "source": "1", "assigned": "1"}
StartWeb = Callable[..., AbstractContextManager[str]]


async def _leads(control: Control, n: int) -> list[str]:
    created = await control.create("leads", [{**LEAD, "name": f"L{i}"} for i in range(n)])
    return [str(lead["id"]) for lead in created]


def _holder(redis: Redis, concurrency: int, threshold: int = 10, cooldown: float = 30) -> Limiter:
    """A worker's limiter on the same Redis: what else holds or trips the `perfex` limit."""
    return Limiter(
        redis,
        perfex=TargetLimits(concurrency=concurrency, rate=1000),
        breaker_threshold=threshold,
        breaker_cooldown=cooldown,
    )


def test_breaker_settings_match_the_workers() -> None:
    """The push limiter's breaker is the workers' breaker (jobs.Tuning's defaults)."""
    tuning = Tuning()
    assert tuning.breaker_threshold == admit.BREAKER_THRESHOLD
    assert tuning.breaker_cooldown == admit.BREAKER_COOLDOWN
    assert admit.LEASE_SECONDS > admit.FETCH_TIMEOUT


async def test_saturated_limit_answers_503_without_a_get_then_the_redelivery_stores(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """Every Perfex slot held elsewhere: the push waits briefly, 503, no GET; later stored."""
    [rid] = await _leads(control, 1)
    holder = _holder(redis, 1)
    held = await holder.try_admit("perfex")
    assert held.admitted
    with start_web(perfex_concurrency=1) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            started = time.monotonic()
            response = await push(web, delivery("lead_created", rid))
            waited = time.monotonic() - started
            assert response.status_code == 503
            assert response.headers["retry-after"]
            assert "busy" in response.json()["error"]
            assert waited >= admit.ADMIT_WAIT * 0.9  # it waited for a slot, briefly
            assert await gets(control, "leads") == []
            assert await events(redis) == []
            await holder.release(held, "ok")
            response = await push(web, delivery("lead_created", rid))
            assert response.status_code == 202
            assert response.json()["event_id"] == f"perfex:leads:{rid}:created"
    assert await redis.zcard(limit_keys.SEMAPHORE + "perfex") == 0  # the push's slot freed


async def test_web_keeps_answering_while_a_push_waits_for_the_limit(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """A push waiting for an admission does not block the event loop: /healthz answers."""
    [rid] = await _leads(control, 1)
    holder = _holder(redis, 1)
    held = await holder.try_admit("perfex")
    with start_web(perfex_concurrency=1) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            waiting = asyncio.create_task(push(web, delivery("lead_created", rid)))
            await asyncio.sleep(0.3)
            assert (await web.get("/healthz")).status_code == 200
            assert not waiting.done()
            await holder.release(held, "ok")  # freed while it waits: it goes on
            assert (await waiting).status_code == 202


async def test_open_breaker_refuses_pushes_at_once_and_a_push_probe_closes_it(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """Workers opened the shared breaker: pushes 503 with no GET; after it, a push probes."""
    [rid] = await _leads(control, 1)
    tripper = _holder(redis, 4, threshold=1, cooldown=1.0)
    failed = await tripper.try_admit("perfex")
    assert await tripper.release(failed, "fail")  # opened for 1 s
    with start_web() as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            started = time.monotonic()
            response = await push(web, delivery("lead_created", rid))
            assert response.status_code == 503
            assert "busy" in response.json()["error"]
            assert time.monotonic() - started < admit.ADMIT_WAIT  # no wait for an open circuit
            assert await gets(control, "leads") == []
            await asyncio.sleep(1.1)
            response = await push(web, delivery("lead_created", rid))
            assert response.status_code == 202  # the half-open probe, and it succeeded
    assert await gets(control, "leads") == [f"/api/leads/{rid}"]
    assert not await redis.exists(limit_keys.BREAKER + "perfex")  # closed


async def test_pushes_while_perfex_is_down_open_the_breaker(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """Failed push GETs count toward the shared breaker; once open, pushes make no GET."""
    rids = await _leads(control, admit.BREAKER_THRESHOLD + 1)
    await control.fault({"route": "/api/leads/*", "mode": "down"})
    for rid in rids[:-1]:
        assert (await push(web, delivery("lead_created", rid))).status_code == 503
    assert len(await gets(control, "leads")) == admit.BREAKER_THRESHOLD
    assert await redis.hget(limit_keys.BREAKER + "perfex", "open_until")  # type: ignore[misc]
    response = await push(web, delivery("lead_created", rids[-1]))
    assert response.status_code == 503
    assert len(await gets(control, "leads")) == admit.BREAKER_THRESHOLD  # not called again
    assert await events(redis) == []
    assert await redis.zcard(limit_keys.SEMAPHORE + "perfex") == 0  # failed GETs freed slots


async def test_flood_of_pushes_stays_within_the_concurrency_limit(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """Six pushes at once with BRIDGE_PERFEX_CONCURRENCY=2: at most two GETs in flight."""
    rids = await _leads(control, 6)
    await control.fault({"route": "/api/leads/*", "mode": "slow", "seconds": 0.3})
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            calls = await control.calls()
            inflight = [c for c in calls if c["path"].startswith("/api/leads/") and not c["status"]]
            peak = max(peak, len(inflight))
            await asyncio.sleep(0.02)

    with start_web(perfex_concurrency=2, perfex_rate=1000) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            watcher = asyncio.create_task(watch())
            started = time.monotonic()
            answers = await asyncio.gather(
                *(push(web, delivery("lead_created", rid)) for rid in rids)
            )
            elapsed = time.monotonic() - started
            watcher.cancel()
    assert [a.status_code for a in answers] == [202] * 6
    assert 1 <= peak <= 2
    assert elapsed >= 3 * 0.3 * 0.95  # three rounds of two slow GETs, not one of six
    assert len(await events(redis)) == 6


async def test_flood_past_the_rate_is_answered_503_and_redelivered_later(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """BRIDGE_PERFEX_RATE=1: a burst gets ~1 GET/s, the rest 503 with no GET; retries store."""
    rids = await _leads(control, 6)
    with start_web(perfex_rate=1) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            started = time.monotonic()
            answers = await asyncio.gather(
                *(push(web, delivery("lead_created", rid)) for rid in rids)
            )
            elapsed = time.monotonic() - started
            refused = [rid for rid, a in zip(rids, answers, strict=True) if a.status_code == 503]
            stored = [a for a in answers if a.status_code == 202]
            assert refused and stored
            assert len(stored) + len(refused) == len(rids)
            assert len(await gets(control, "leads")) == len(stored)  # refused: no GET at all
            assert len(stored) <= 1 + elapsed * 1 + 1  # the bucket: burst 1, then 1 per second
            for rid in refused:  # the module delivers again: nothing is lost
                response = await push(web, delivery("lead_created", rid))
                assert response.status_code == 202
    assert sorted(e["id"] for e in await events(redis)) == sorted(
        f"perfex:leads:{rid}:created" for rid in rids
    )


async def test_list_read_failing_while_learning_columns_is_503(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """An update push whose column-learning list read fails is a 503, not a server error."""
    [rid] = await _leads(control, 1)
    await control.fault({"route": "/api/leads", "mode": "down"})
    response = await push(web, delivery("lead_updated", rid))
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert await events(redis) == []
    await control.clear_faults()
    assert (await push(web, delivery("lead_updated", rid))).status_code == 202


async def test_redis_down_answers_503_before_any_get(
    control: Control, redis: Redis, start_web: StartWeb
) -> None:
    """No Redis for the limit (or the store): 503 with Retry-After, Perfex not called."""
    [rid] = await _leads(control, 1)
    with start_web(redis_at=f"redis://127.0.0.1:{free_port()}/0") as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as web:
            for event in ("lead_created", "lead_updated"):
                response = await push(web, delivery(event, rid))
                assert response.status_code == 503, event
                assert response.headers["retry-after"]
                assert "unavailable" in response.json()["error"]
    assert await gets(control, "leads") == []
