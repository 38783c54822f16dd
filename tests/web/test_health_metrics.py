"""/healthz, /readyz and /metrics against real Redis state written the way other parts do."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bridge import constants
from bridge.rules import RulesWatcher
from bridge.web.app import create_app
from bridge.web.metrics import WebMetrics
from tests.web import signing
from tests.web.conftest import make_settings


async def hset(redis: Redis, key: str, mapping: dict[str, str | float]) -> None:
    """HSET a mapping (redis-py's sync/async union return type needs the ignore)."""
    await redis.hset(key, mapping=mapping)  # type: ignore[misc]


async def test_healthz_and_readyz_ok(client: httpx.AsyncClient) -> None:
    """Alive and ready: Redis answers, rules loaded, no poller status yet."""
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert set(ready.json()["checks"]) == {"redis", "rules", "pollers"}


async def test_readyz_refuses_when_a_poller_is_unauthorized(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """A poller stuck in `unauthorized` makes the replica degraded (it still takes webhooks),
    naming the resource."""
    await hset(redis, constants.POLLER_STATUS + "leads", {"state": "ok"})
    await hset(redis, constants.POLLER_STATUS + "tickets", {"state": "unauthorized"})
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["pollers"]["unauthorized"] == ["tickets"]


async def test_readyz_lists_rules_errors(
    tmp_path: Path,
    redis_url: str,
    redis: Redis,
    serve: Callable[..., AbstractContextManager[str]],
) -> None:
    """Rules that never loaded make /readyz 503 with the loader's problems as detail."""
    broken = tmp_path / "broken.yml"
    broken.write_text("hooks:\n  - name: x\n    verify: bogus\n")
    watcher = RulesWatcher(broken, environ={})
    watcher.load_now()
    with serve(create_app(make_settings(broken), redis_url=redis_url, rules=watcher)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            ready = await client.get("/readyz")
            metrics = await client.get("/metrics")
    rules = ready.json()["checks"]["rules"]
    assert ready.status_code == 503
    assert rules["errors"] and "broken.yml" in rules["errors"][0]
    assert f"bridge_rules_load_errors {float(len(rules['errors']))}" in metrics.text


async def test_readyz_is_degraded_when_a_reload_breaks(
    tmp_path: Path,
    redis_url: str,
    redis: Redis,
    serve: Callable[..., AbstractContextManager[str]],
) -> None:
    """A file broken after a good load: 200 degraded, errors listed, old hooks still served."""
    path = tmp_path / "rules.yml"
    path.write_text("hooks:\n  - name: open\n    verify: none\n")
    watcher = RulesWatcher(path, environ={})
    watcher.load_now()
    path.write_text("hooks:\n  - name: open\n    verify: bogus\n")
    watcher.load_now()
    with serve(create_app(make_settings(path), redis_url=redis_url, rules=watcher)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            ready = await client.get("/readyz")
            accepted = await client.post("/hooks/open", json={"a": 1})
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert "last good rules" in ready.json()["checks"]["rules"]["detail"]
    assert accepted.status_code == 202


async def test_app_loads_its_own_rules_when_given_none(
    rules_file: Path,
    redis_url: str,
    redis: Redis,
    serve: Callable[..., AbstractContextManager[str]],
) -> None:
    """Without a watcher the app loads settings.rules itself at start."""
    app = create_app(make_settings(rules_file), redis_url=redis_url)
    with serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.post("/hooks/open", json={"a": 1})
    assert response.status_code == 202


async def test_metrics_report_requests_and_shared_state(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Request outcomes, queue depth, worker counters, DLQ size and poller lag are exported."""
    body = b'{"a":1}'
    await client.post("/hooks/github", content=body, headers=signing.github(body))
    await client.post("/hooks/github", content=body, headers=signing.github(body, secret="x"))
    await client.post("/hooks/nope", json={})
    await redis.zadd(constants.QUEUE_NAME, {"job1": 1, "job2": 2, "job3": 3})
    await redis.zadd(constants.DLQ_INDEX, {"dl1": 1})
    await hset(redis, constants.STATS, {"retries": 4, "dead_letters": 1, "steps_failed": 5})
    await hset(
        redis,
        constants.POLLER_STATUS + "leads",
        {"state": "backoff", "last_success": time.time() - 90},
    )
    text = (await client.get("/metrics")).text
    assert 'bridge_webhook_requests_total{hook="github",outcome="accepted"} 1.0' in text
    assert 'bridge_webhook_requests_total{hook="github",outcome="unauthorized"} 1.0' in text
    assert 'bridge_webhook_requests_total{hook="_unknown",outcome="unknown_hook"} 1.0' in text
    assert 'bridge_webhook_events_stored_total{hook="github"} 1.0' in text
    assert "bridge_webhook_request_seconds_bucket" in text
    assert "bridge_queue_depth 3.0" in text
    assert "bridge_dlq_size 1.0" in text
    assert "bridge_step_retries_total 4.0" in text
    assert "bridge_dead_letters_total 1.0" in text
    assert 'bridge_worker_stat_total{name="steps_failed"} 5.0' in text
    assert 'bridge_poller_state{resource="leads",state="backoff"} 1.0' in text
    lag_line = next(line for line in text.splitlines() if line.startswith("bridge_poller_lag"))
    assert float(lag_line.split()[-1]) >= 90
    assert "bridge_redis_up 1.0" in text


def test_each_app_has_its_own_registry() -> None:
    """Two metric sets in one process do not clash (no global registry)."""
    first, second = WebMetrics(), WebMetrics()
    first.observe("a", "accepted", 0.01)
    assert b'hook="a"' in first.render()
    assert b'hook="a"' not in second.render()


def test_repeated_requests_keep_counting() -> None:
    """Every answered request and stored event counts, not only the first of a label."""
    metrics = WebMetrics()
    for _ in range(3):
        metrics.observe("a", "accepted", 0.002)
        metrics.stored("a")
    metrics.observe("a", "duplicate", 0.002)
    text = metrics.render().decode()
    assert 'bridge_webhook_requests_total{hook="a",outcome="accepted"} 3.0' in text
    assert 'bridge_webhook_requests_total{hook="a",outcome="duplicate"} 1.0' in text
    assert 'bridge_webhook_events_stored_total{hook="a"} 3.0' in text
    assert 'bridge_webhook_request_seconds_count{hook="a"} 4.0' in text
