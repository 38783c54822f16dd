"""Seeding helpers: events through the EventStore, runs through the executor's RunStore."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event, EventStore
from bridge.executor.history import RunStore
from bridge.executor.records import Run, StepState, run_id_for

RETENTION = 3600


async def store_event(redis: Redis, event: Event, at: float | None = None) -> Event:
    """Store an event; `at` rewrites its time index score (to place it in the past)."""
    await EventStore(redis, RETENTION).store(event)
    if at is not None:
        await redis.zadd(constants.EVENTS_BY_TIME, {event.id: at})
    return event


async def make_run(
    redis: Redis,
    event: Event,
    rule: str,
    status: str = "succeeded",
    *,
    created: float | None = None,
    error: str | None = None,
    attempts: list[dict[str, Any]] | None = None,
    dead_letter: bool = False,
) -> Run:
    """A run of `event` through `rule`, written with the executor's RunStore."""
    store = RunStore(redis, RETENTION)
    run = Run(id=run_id_for(event.id, rule), event_id=event.id, event_type=event.type, rule=rule)
    if created is not None:
        run.created = created
    await store.create_many([run])
    run.steps = [StepState(0, "note", "webhook", status=status, attempts=len(attempts or []))]
    run.status, run.error = status, error
    if status in ("succeeded", "failed", "dead"):
        run.finished = time.time()
    letter = None
    if dead_letter:
        letter = {
            "id": run.id,
            "run_id": run.id,
            "event_id": run.event_id,
            "event_type": run.event_type,
            "rule": rule,
            "step": 0,
            "status": status,
            "error": error,
            "time": time.time(),
        }
    await store.save(run, "queued", attempts=attempts, dead_letter=letter)
    return run


def attempt(
    number: int, outcome: str, status: int | None, error: str | None = None
) -> dict[str, Any]:
    """One attempt record the way the runner writes it."""
    return {
        "step": 0,
        "key": "note",
        "action": "webhook",
        "attempt": number,
        "started": time.time(),
        "duration_ms": 42,
        "request": {
            "method": "POST",
            "url": "https://chat.example.com/hook",
            "body": {"text": "hi"},
        },
        "status": status,
        "response": '{"ok": false}' if error else '{"ok": true}',
        "error": error,
        "outcome": outcome,
    }


def lead(number: int, status: str = "new") -> Event:
    """A perfex.leads.created event."""
    return Event(
        id=f"perfex:leads:{number}:created",
        type="perfex.leads.created",
        source="perfex",
        data={"id": number, "name": f"Lead {number}", "status": status},
    )
