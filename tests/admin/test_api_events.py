"""GET /api/events and /api/events/{id}: filters, paging with limit + cursor, 404."""

from __future__ import annotations

import time

import httpx
from redis.asyncio import Redis

from bridge.events import Event
from tests.admin.conftest import TOKEN, ServeApp
from tests.admin.helpers import lead, store_event

AUTH = {"Authorization": "Bearer " + TOKEN}


async def _seed(redis: Redis) -> float:
    now = time.time()
    for number in range(7):
        await store_event(redis, lead(number), at=now - 100 + number)
    hook = Event(id="webhook:shop:1", type="webhook.shop", source="webhook", data={"id": 1})
    await store_event(redis, hook, at=now - 10)
    old = Event(id="perfex:tasks:1:updated", type="perfex.tasks.updated", source="perfex", data={})
    await store_event(redis, old, at=now - 7200)
    return now


async def test_list_is_newest_first_and_pages_without_gaps(
    redis: Redis, serve_app: ServeApp
) -> None:
    """Pages of 3 walk every event exactly once, newest first, ending with a null cursor."""
    await _seed(redis)
    seen: list[str] = []
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            cursor = None
            for _ in range(10):
                params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
                body = (await client.get("/api/events", params=params)).json()
                assert len(body["items"]) <= 3
                seen += [item["id"] for item in body["items"]]
                cursor = body["next_cursor"]
                if cursor is None:
                    break
    assert seen[0] == "webhook:shop:1"
    assert seen[1:8] == [f"perfex:leads:{n}:created" for n in range(6, -1, -1)]
    assert seen[-1] == "perfex:tasks:1:updated"
    assert len(seen) == len(set(seen)) == 9


async def test_filters_type_glob_source_and_time(redis: Redis, serve_app: ServeApp) -> None:
    """type (exact or glob), source and since/until narrow the list."""
    now = await _seed(redis)
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:

            async def ids(**params: str) -> list[str]:
                response = await client.get("/api/events", params=params)
                assert response.status_code == 200, response.text
                return [item["id"] for item in response.json()["items"]]

            assert await ids(type="webhook.shop") == ["webhook:shop:1"]
            assert len(await ids(type="perfex.leads.*")) == 7
            assert await ids(type="perfex.*.updated") == ["perfex:tasks:1:updated"]
            assert await ids(source="webhook") == ["webhook:shop:1"]
            assert "perfex:tasks:1:updated" not in await ids(since=str(now - 3600))
            iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
            assert await ids(until=iso) == ["perfex:tasks:1:updated"]
            assert await ids(type="perfex.leads.*", source="webhook") == []


async def test_bad_query_parameters_are_400(serve_app: ServeApp) -> None:
    """A bad limit, cursor or time is refused with a message naming it."""
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            for params, word in [
                ({"limit": "0"}, "limit"),
                ({"limit": "many"}, "limit"),
                ({"cursor": "%%%"}, "cursor"),
                ({"since": "yesterday"}, "since"),
            ]:
                response = await client.get("/api/events", params=params)
                assert response.status_code == 400
                assert word in response.json()["error"]


async def test_detail_and_unknown_id(redis: Redis, serve_app: ServeApp) -> None:
    """An event's detail is its stored JSON; an unknown id is a JSON 404."""
    event = await store_event(redis, lead(42))
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            found = await client.get(f"/api/events/{event.id}")
            missing = await client.get("/api/events/perfex:leads:999:created")
    assert found.status_code == 200
    assert found.json() == event.to_dict()
    assert missing.status_code == 404
    assert "perfex:leads:999:created" in missing.json()["error"]
