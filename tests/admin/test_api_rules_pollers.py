"""Rules and hooks (with inbound URLs, never secrets), load errors, pollers and overview."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bridge import constants
from tests.admin.conftest import HOOK_SECRET, TOKEN, ServeApp
from tests.admin.helpers import lead, make_run, store_event

AUTH = {"Authorization": "Bearer " + TOKEN}


def test_rules_and_hooks_without_secrets(serve_app: ServeApp) -> None:
    """Rules and hooks are listed with each hook's inbound URL; no secret appears anywhere."""
    with serve_app() as url:
        response = httpx.get(url + "/api/rules", headers=AUTH)
        hooks = httpx.get(url + "/api/hooks", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert HOOK_SECRET not in response.text
    assert body["errors"] == []
    assert [r["name"] for r in body["rules"]] == ["lead-to-chat", "order-task"]
    step = body["rules"][0]["steps"][0]
    assert step["action"] == "webhook"
    assert step["fields"] == ["url", "body", "secret"]
    assert step["retry_attempts"] == 3
    shop = next(h for h in body["hooks"] if h["name"] == "shop")
    assert shop["url"] == url + "/hooks/shop"
    assert shop["has_secret"] is True
    assert "secret" not in shop
    assert hooks.json()["hooks"] == body["hooks"]


def test_rules_load_errors_are_reported(serve_app: ServeApp, tmp_path: Path) -> None:
    """A broken rules file shows its problems as `file:line: message`."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.yaml").write_text("rules:\n  - name: x\n    on: perfex.leads.created\n")
    with serve_app(rules=broken) as url:
        body = httpx.get(url + "/api/rules", headers=AUTH).json()
    assert body["rules"] == []
    assert body["errors"]
    assert "bad.yaml" in body["errors"][0]


async def test_pollers_and_overview(redis: Redis, serve_app: ServeApp) -> None:
    """Pollers' status hashes come back typed; the overview counts the last hour and day."""
    now = time.time()
    await redis.hset(  # type: ignore[misc]
        constants.POLLER_STATUS + "leads",
        mapping={
            "state": "backoff",
            "last_poll": now,
            "lag_seconds": 12.5,
            "events_fired": 3,
            "last_error": "Perfex answered 503",
        },
    )
    event = await store_event(redis, lead(1))
    await make_run(redis, event, "lead-to-chat", "succeeded")
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            pollers = (await client.get("/api/pollers")).json()
            overview = (await client.get("/api/overview")).json()
    leads = pollers["items"][0]
    assert leads["resource"] == "leads"
    assert leads["state"] == "backoff"
    assert leads["lag_seconds"] == 12.5
    assert leads["events_fired"] == 3
    assert leads["last_error"] == "Perfex answered 503"
    assert overview["hour"]["events"] == 1
    assert overview["hour"]["succeeded"] == 1
    assert overview["day"]["dead"] == 0
    assert sum(overview["chart"]["events"]) == 1
