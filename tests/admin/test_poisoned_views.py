"""Events and runs holding invalid Unicode, infinite numbers or deep nesting still render.

Such data cannot come in through /hooks any more (refused with 400), but events stored by
an older bridge and receivers' answers kept in run history can carry it: every view of
them must answer, never 500.
"""

from __future__ import annotations

from typing import Any

import httpx
from redis.asyncio import Redis

from bridge.events import Event
from tests.admin.conftest import TOKEN, ServeApp
from tests.admin.helpers import attempt, make_run, store_event


def _deep(depth: int) -> Any:
    value: Any = [1]
    for _ in range(depth):
        value = {"a": value}
    return value


POISON = {"text": "bad \ud800 end", "\udfff": 1, "n": float("inf"), "deep": _deep(900)}


async def test_poisoned_event_and_run_render_everywhere(redis: Redis, serve_app: ServeApp) -> None:
    """/api/events, /api/events/{id}, /events/{id}, /runs/{id}, /api/runs/{id} all answer 200."""
    event = await store_event(
        redis, Event(id="webhook:open:poison", type="webhook.open", source="webhook", data=POISON)
    )
    tried = attempt(1, "failed", 500, "receiver said \ud800")
    tried["response"] = {"echo": POISON}
    run = await make_run(redis, event, "order-task", "failed", attempts=[tried], error="x \udc80")
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url) as client:
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            api = ("/api/events", f"/api/events/{event.id}", f"/api/runs/{run.id}", "/api/runs")
            for path in api:
                response = await client.get(path, headers=bearer)
                assert response.status_code == 200, (path, response.text)
                response.json()
            login = await client.post("/login", data={"token": TOKEN})
            assert login.status_code == 303
            for path in (f"/events/{event.id}", f"/runs/{run.id}", "/events", "/runs"):
                response = await client.get(path)
                assert response.status_code == 200, (path, response.text[:300])
            detail = (await client.get(f"/api/events/{event.id}", headers=bearer)).json()
            assert detail["data"]["text"] == "bad \ufffd end"
