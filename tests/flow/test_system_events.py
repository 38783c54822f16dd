"""`bridge.run.dead_lettered` goes through the rules; a system event's run never loops."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from bridge import constants
from bridge.settings import Settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import Receiver, rules_from, store_event, wait_for


def _rules(url: str) -> str:
    return f"""
rules:
  - name: doomed
    on: perfex.leads.created
    do:
      - webhook: {{url: "{url}/refuses"}}
  - name: tell-chat
    on: bridge.run.dead_lettered
    do:
      - webhook:
          url: "{url}/chat"
          body: {{text: "{{{{ event.data.rule }}}} failed: {{{{ event.data.error }}}}"}}
      - webhook: {{url: "{url}/refuses"}}
"""


async def _types(redis: Redis) -> list[str]:
    ids = [i.decode() for i in await redis.zrange(constants.EVENTS_BY_TIME, 0, -1)]
    return [json.loads(await redis.get(constants.EVENT_KEY + i) or "{}")["type"] for i in ids]


async def test_dead_letter_event_is_routed_and_its_own_failure_does_not_loop(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """One dead letter makes one system event; the rule it starts dead-letters too, silently."""
    app, url = receiver
    app.script["/refuses"] = [(400, {}), (400, {})]
    async with worker(settings, rules_from(_rules(url))):
        await store_event(redis, "lead-9", id=9)
        await wait_for(lambda: _dlq_size(redis, 2))
        await wait_for(lambda: _routed_all(redis))
    types = await _types(redis)
    assert sorted(types) == ["bridge.run.dead_lettered", "perfex.leads.created"]
    (chat,) = app.on("/chat")
    assert json.loads(chat.body)["text"].startswith("doomed failed: ")
    event_id = next(
        i.decode()
        for i in await redis.zrange(constants.EVENTS_BY_TIME, 0, -1)
        if i.decode().startswith("bridge.run")
    )
    event = json.loads(await redis.get(constants.EVENT_KEY + event_id) or "{}")
    assert event_id == "bridge.run.dead_lettered:lead-9:doomed:0"
    assert event["source"] == "bridge"
    assert {k: event["data"][k] for k in ("run_id", "rule", "event_id", "event_type")} == {
        "run_id": "lead-9:doomed",
        "rule": "doomed",
        "event_id": "lead-9",
        "event_type": "perfex.leads.created",
    }
    assert "400" in event["data"]["error"]


async def _dlq_size(redis: Redis, size: int) -> bool:
    return int(await redis.zcard(constants.DLQ_INDEX)) == size


async def _routed_all(redis: Redis) -> bool:
    return int(await redis.xlen(constants.EVENT_STREAM)) == 0
