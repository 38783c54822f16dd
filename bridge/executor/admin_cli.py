"""`bridge dlq list`, `bridge dlq replay ID|--all` and `bridge events replay EVENT_ID`.

Each opens Redis (BRIDGE_REDIS_URL or the embedded Valkey of the data dir), does its one
thing, prints a short report and returns the exit code: 0 done, 1 nothing matched.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from redis.asyncio import Redis

from bridge.connection import redis_client, redis_server
from bridge.events import EventStore
from bridge.executor import dlq
from bridge.executor.history import RunStore
from bridge.executor.router import replay_event
from bridge.settings import Settings

logger = logging.getLogger("bridge.executor.admin_cli")


def _with_redis(settings: Settings, action: Callable[[Redis], Awaitable[int]]) -> int:
    async def main(url: str) -> int:
        client = redis_client(url)
        try:
            return await action(client)
        finally:
            await client.aclose()

    with redis_server(settings) as url:
        return asyncio.run(main(url))


def _store(settings: Settings, redis: Redis) -> RunStore:
    return RunStore(redis, int(settings.retention_days * 86400))


def dlq_list(settings: Settings) -> int:
    """Print the dead letters, newest first."""

    async def action(redis: Redis) -> int:
        letters = await dlq.list_letters(redis, limit=1000)
        if not letters:
            print("The dead-letter queue is empty.")
            return 0
        print(f"{'WHEN (UTC)':<20} {'STATUS':<7} {'RULE':<24} {'STEP':>4}  ID / ERROR")
        for letter in letters:
            when = datetime.fromtimestamp(float(letter["time"]), UTC).strftime("%Y-%m-%d %H:%M:%S")
            step = "-" if letter.get("step") is None else str(letter["step"])
            print(
                f"{when:<20} {letter['status']:<7} {letter['rule']:<24} {step:>4}  {letter['id']}"
            )
            print(f"{'':<58}{letter.get('error') or ''}")
        print(f"{len(letters)} dead letter(s). Replay: bridge dlq replay ID | --all")
        return 0

    return _with_redis(settings, action)


def dlq_replay(settings: Settings, letter_id: str | None, replay_all: bool) -> int:
    """Send one dead letter (or all) back to the queue."""

    async def action(redis: Redis) -> int:
        store = _store(settings, redis)
        if replay_all:
            count = await dlq.replay_all(store)
            print(f"Replayed {count} dead letter(s).")
            return 0
        if not letter_id or not await dlq.replay(store, letter_id):
            print(f"bridge: no dead letter {letter_id!r} (see: bridge dlq list)", file=sys.stderr)
            return 1
        print(f"Replayed {letter_id}.")
        return 0

    return _with_redis(settings, action)


def event_replay(settings: Settings, event_id: str) -> int:
    """Run a stored event through the current rules again (new runs, `:replay-<n>`)."""
    from bridge.rules import load

    ruleset = load(settings.rules)

    class _Rules:
        current = ruleset

    async def action(redis: Redis) -> int:
        store = _store(settings, redis)
        event = await EventStore(redis).get(event_id)
        if event is None:
            print(f"bridge: no stored event {event_id!r}", file=sys.stderr)
            return 1
        run_ids = await replay_event(redis, _Rules(), store, event)
        if not run_ids:
            print(f"No rule matches event {event_id} ({event.type}); nothing queued.")
            return 1
        for run_id in run_ids:
            print(f"Queued run {run_id}")
        return 0

    return _with_redis(settings, action)
