"""Helpers of the executor tests: rules from YAML text, a recording receiver, waiting."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bridge.events import Event, EventStore
from bridge.rules.loader import Source, load_sources
from bridge.rules.model import Ruleset


@dataclass
class FixedRules:
    """A rules source that never changes (the worker's watcher stand-in)."""

    current: Ruleset


def rules_from(text: str) -> FixedRules:
    """Rules loaded from YAML text through the real loader."""
    return FixedRules(load_sources([Source("test.yaml", text)], environ={}))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An ASGI app that records every request and answers from a script per path.

    `script[path]` is a list of (status, headers) answers used in order; when it runs out,
    `default` (200) answers.
    """

    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    default: int = 200
    #: Seconds to wait before answering (after the request is recorded).
    delay: float = 0.0
    #: A response body per path, instead of {"ok": ...}.
    bodies: dict[str, bytes] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Requests being answered now, and the most there ever were at once.
    in_flight: int = 0
    peak: int = 0

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        with self.lock:
            self.received.append(Received(path, headers, body, time.time()))
            answers = self.script.get(path)
            status, extra = answers.pop(0) if answers else (self.default, {})
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            with self.lock:
                self.in_flight -= 1
        raw = [(k.encode(), v.encode()) for k, v in extra.items()]
        raw.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        payload = self.bodies.get(path) or json.dumps({"ok": status < 300}).encode()
        await send({"type": "http.response.body", "body": payload})


async def store_event(
    redis: Redis, event_id: str, type_: str = "perfex.leads.created", **data: Any
) -> Event:
    """Store an event the way the poller and the web part do."""
    event = Event(id=event_id, type=type_, source="test", data=data)
    assert await EventStore(redis).store(event)
    return event


async def wait_for(
    check: Callable[[], Awaitable[bool]], within: float = 20.0, interval: float = 0.05
) -> None:
    """Poll until `check()` is true; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


async def run_status(redis: Redis, run_id: str) -> str | None:
    """The stored status of a run, or None."""
    raw = await redis.get("bridge:run:" + run_id)
    return json.loads(raw)["status"] if raw else None
