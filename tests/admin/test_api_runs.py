"""Runs, run detail, the dead-letter queue and event replay through the admin API."""

from __future__ import annotations

import time

import httpx
from redis.asyncio import Redis

from bridge.executor import dlq
from tests.admin.conftest import TOKEN, ServeApp
from tests.admin.helpers import attempt, lead, make_run, store_event

AUTH = {"Authorization": "Bearer " + TOKEN}


async def _seed(redis: Redis) -> None:
    now = time.time()
    for number in range(5):
        event = await store_event(redis, lead(number))
        await make_run(redis, event, "lead-to-chat", "succeeded", created=now - 50 + number)
    old = await store_event(redis, lead(10))
    await make_run(redis, old, "lead-to-chat", "succeeded", created=now - 7200)
    bad = await store_event(redis, lead(11))
    await make_run(
        redis,
        bad,
        "lead-to-chat",
        "failed",
        error="the receiver refused the webhook: HTTP 400",
        attempts=[attempt(1, "failed", 400, "HTTP 400 from chat.example.com")],
        dead_letter=True,
    )


async def test_runs_filters_and_paging(redis: Redis, serve_app: ServeApp) -> None:
    """Runs filter by status, rule, event type and time, and page with limit + cursor."""
    await _seed(redis)
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:

            async def get(**params: str) -> dict[str, object]:
                response = await client.get("/api/runs", params=params)
                assert response.status_code == 200, response.text
                body: dict[str, object] = response.json()
                return body

            everything = await get()
            assert len(everything["items"]) == 7  # type: ignore[arg-type]
            failed = await get(status="failed")
            assert [r["event_id"] for r in failed["items"]] == ["perfex:leads:11:created"]  # type: ignore[attr-defined]
            assert len((await get(rule="lead-to-chat"))["items"]) == 7  # type: ignore[arg-type]
            assert (await get(rule="other"))["items"] == []
            assert len((await get(event_type="perfex.leads.created"))["items"]) == 7  # type: ignore[arg-type]
            recent = await get(since=str(time.time() - 3600))
            assert "perfex:leads:10:created" not in [r["event_id"] for r in recent["items"]]  # type: ignore[attr-defined]
            seen: list[str] = []
            cursor = ""
            while True:
                page = await get(limit="3", cursor=cursor)
                seen += [r["id"] for r in page["items"]]  # type: ignore[attr-defined]
                if page["next_cursor"] is None:
                    break
                cursor = str(page["next_cursor"])
            assert len(seen) == len(set(seen)) == 7
            bad = await client.get("/api/runs", params={"status": "exploded"})
            assert bad.status_code == 400
            assert "succeeded" in bad.json()["error"]


async def test_run_detail_has_every_attempt(redis: Redis, serve_app: ServeApp) -> None:
    """A run's detail carries its steps and every attempt; an unknown run is a 404."""
    await _seed(redis)
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            found = await client.get("/api/runs/perfex:leads:11:created:lead-to-chat")
            missing = await client.get("/api/runs/nope:rule")
    assert found.status_code == 200
    run = found.json()
    assert run["status"] == "failed"
    assert [a["status"] for a in run["attempts"]] == [400]
    assert run["attempts"][0]["error"] == "HTTP 400 from chat.example.com"
    assert missing.status_code == 404


async def test_dlq_list_replay_discard(redis: Redis, serve_app: ServeApp) -> None:
    """Dead letters are listed, replayed (run back to the queue) and discarded; 404 when gone."""
    await _seed(redis)
    other = await store_event(redis, lead(12))
    await make_run(redis, other, "lead-to-chat", "dead", error="gave up", dead_letter=True)
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            listed = (await client.get("/api/dlq", params={"limit": "1"})).json()
            assert listed["total"] == 2
            assert len(listed["items"]) == 1
            assert listed["next_cursor"] == "1"
            second = (await client.get("/api/dlq", params={"cursor": "1"})).json()
            assert second["next_cursor"] is None
            letter = "perfex:leads:11:created:lead-to-chat"
            replayed = await client.post(f"/api/dlq/{letter}/replay")
            assert replayed.status_code == 202
            run = (await client.get(f"/api/runs/{letter}")).json()
            assert run["status"] == "retrying"
            again = await client.post(f"/api/dlq/{letter}/replay")
            assert again.status_code == 404
            discarded = await client.delete("/api/dlq/perfex:leads:12:created:lead-to-chat")
            assert discarded.status_code == 200
            assert (
                await client.delete("/api/dlq/perfex:leads:12:created:lead-to-chat")
            ).status_code == 404
    assert await dlq.count(redis) == 0


async def test_dlq_replay_all(redis: Redis, serve_app: ServeApp) -> None:
    """Replay all sends every dead letter back and says how many."""
    await _seed(redis)
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            response = await client.post("/api/dlq/replay")
    assert response.status_code == 202
    assert response.json() == {"replayed": 1}
    assert await dlq.count(redis) == 0


async def test_replay_event_makes_new_runs(redis: Redis, serve_app: ServeApp) -> None:
    """Replaying an event runs it through the current rules again; unknown events are 404."""
    event = await store_event(redis, lead(7))
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            response = await client.post(f"/api/events/{event.id}/replay")
            missing = await client.post("/api/events/perfex:leads:404:created/replay")
            runs = (await client.get("/api/runs", params={"rule": "lead-to-chat"})).json()
    assert response.status_code == 202
    assert response.json()["runs"] == [f"{event.id}:lead-to-chat:replay-1"]
    assert [r["replay_of"] for r in runs["items"]] == [f"{event.id}:lead-to-chat"]
    assert missing.status_code == 404
