"""Replays that change only unsigned headers (delivery id, event name) store nothing new."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event
from bridge.loopback.servers import serve_in_thread
from bridge.rules import RulesWatcher
from bridge.settings import Settings
from bridge.web.app import create_app
from tests.web import signing
from tests.web.conftest import stored_ids

ISSUE = json.dumps({"action": "opened", "issue": {"title": "Bug", "number": 7}}).encode()


async def _type_of(redis: Redis, event_id: str) -> str:
    raw = await redis.get(constants.EVENT_KEY + event_id)
    assert raw is not None
    return Event.from_json(raw).type


async def test_github_replay_with_new_or_missing_delivery_is_a_duplicate(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Same signed body, new X-GitHub-Delivery / none / another X-GitHub-Event: one event,
    still typed by the first delivery (no relabel)."""
    headers = signing.github(ISSUE, delivery="d-1")
    first = await client.post("/hooks/github", content=ISSUE, headers=headers)
    assert first.status_code == 202
    event_id = first.json()["event_id"]
    new_id = {**headers, "X-GitHub-Delivery": "d-2"}
    no_id = {k: v for k, v in headers.items() if k != "X-GitHub-Delivery"}
    relabel = {**headers, "X-GitHub-Delivery": "d-3", "X-GitHub-Event": "push"}
    for variant in (new_id, no_id, relabel, headers):
        again = await client.post("/hooks/github", content=ISSUE, headers=variant)
        assert again.status_code == 200, again.text
        assert again.json() == {"event_id": event_id, "duplicate": True}
    assert await stored_ids(redis) == [event_id]
    assert await _type_of(redis, event_id) == "webhook.github.issues"


async def test_hmac_replay_with_new_idempotency_key_is_a_duplicate(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """An hmac delivery re-sent with a new Idempotency-Key or webhook-id makes no new event."""
    headers = {**signing.hmac_b64(ISSUE), "Idempotency-Key": "k-1"}
    assert (await client.post("/hooks/signed", content=ISSUE, headers=headers)).status_code == 202
    for extra in ({"Idempotency-Key": "k-2"}, {"Idempotency-Key": "", "webhook-id": "w-9"}):
        again = await client.post("/hooks/signed", content=ISSUE, headers={**headers, **extra})
        assert again.status_code == 200 and again.json()["duplicate"] is True
    assert len(await stored_ids(redis)) == 1


async def test_different_github_bodies_are_different_events(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Two genuine deliveries (different bodies) are two events."""
    other = json.dumps({"action": "closed", "issue": {"title": "Bug", "number": 7}}).encode()
    for body, delivery in ((ISSUE, "d-1"), (other, "d-2")):
        headers = signing.github(body, delivery=delivery)
        assert (
            await client.post("/hooks/github", content=body, headers=headers)
        ).status_code == 202
    assert len(await stored_ids(redis)) == 2


async def test_standard_webhooks_keep_their_signed_id(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Standard Webhooks sign webhook-id: the same body under two signed ids is two events."""
    for msg_id in ("msg_a", "msg_b"):
        headers = signing.standard(ISSUE, msg_id=msg_id)
        assert (
            await client.post("/hooks/standard", content=ISSUE, headers=headers)
        ).status_code == 202
    assert len(await stored_ids(redis)) == 2


@pytest.fixture
def short_window_url(
    redis_url: str, redis: Redis, rules_file: Path, watcher: RulesWatcher
) -> Iterator[str]:
    """The web app with a 1 s replay window."""
    settings = Settings(_env_file=None, rules=rules_file, replay_window=1)
    with serve_in_thread(create_app(settings, redis_url=redis_url, rules=watcher)) as url:
        yield url


async def test_the_window_ends(short_window_url: str, redis: Redis) -> None:
    """After BRIDGE_REPLAY_WINDOW the same body with a new delivery id is a new event."""
    async with httpx.AsyncClient(base_url=short_window_url) as http:
        first = signing.github(ISSUE, delivery="d-1")
        assert (await http.post("/hooks/github", content=ISSUE, headers=first)).status_code == 202
        second = signing.github(ISSUE, delivery="d-2")
        assert (await http.post("/hooks/github", content=ISSUE, headers=second)).status_code == 200
        await asyncio.sleep(1.6)
        third = signing.github(ISSUE, delivery="d-3")
        assert (await http.post("/hooks/github", content=ISSUE, headers=third)).status_code == 202
    assert len(await stored_ids(redis)) == 2
