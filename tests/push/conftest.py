"""Push fixtures: the sandbox, the web app with a `verify: perfex` hook, a poll job."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.events import EventStore
from bridge.perfex.client import PerfexClient
from bridge.poller.created import PollJob
from bridge.poller.source import PerfexSource
from bridge.rules import RulesWatcher
from bridge.settings import Settings
from bridge.web.app import create_app
from tests.poller.conftest import TOKEN, control, sandbox_url  # noqa: F401 - fixtures

SECRET = "perfex-push-secret-0123456789"
HOOKS = f"""
hooks:
  - name: perfex
    verify: perfex
    secret: "{SECRET}"
  - name: perfex-strict
    verify: perfex
    secret: "{SECRET}"
    tolerance: 5
"""


def signed(
    body: dict[str, Any], *, secret: str = SECRET, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """A delivery as a v3 module sends it: raw body and headers (signed independently)."""
    raw = json.dumps(body).encode()
    stamp = int(at if at is not None else time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "user-agent": "Perfex-CRM-API/3.0",
        "x-perfex-event": str(body.get("event")),
        "x-perfex-signature": f"t={stamp},v1={digest}",
    }
    return raw, headers


def delivery(event: str, rid: int | str, **extra: Any) -> dict[str, Any]:
    """A thin delivery body: {"event", "timestamp", "data": {"id", "_source_hook"}}."""
    return {
        "event": event,
        "timestamp": int(time.time()),
        "data": {"id": int(rid), "_source_hook": "after_" + event, **extra},
    }


@pytest.fixture
def start_web(
    redis_url: str,
    redis: Redis,
    sandbox_url: str,  # noqa: F811
    tmp_path: Path,
    serve: Callable[..., AbstractContextManager[str]],
) -> Callable[..., AbstractContextManager[str]]:
    """`with start_web(**settings) as url:` the web app with the perfex hooks on 127.0.0.1,
    its Perfex the test sandbox unless the settings say otherwise (perfex_url=None), its
    Redis the test's unless `redis_at` names another."""
    rules = tmp_path / "hooks.yml"
    rules.write_text(HOOKS)
    watcher = RulesWatcher(rules, environ={})
    watcher.load_now()
    assert watcher.errors == [], watcher.errors

    def start(redis_at: str | None = None, **overrides: Any) -> AbstractContextManager[str]:
        values: dict[str, Any] = {"perfex_url": sandbox_url + "/api", "perfex_token": TOKEN}
        values.update(overrides)
        settings = Settings(_env_file=None, rules=rules, **values)
        return serve(create_app(settings, redis_url=redis_at or redis_url, rules=watcher))

    return start


@pytest.fixture
def web_url(start_web: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """The web app on 127.0.0.1, its Perfex the test sandbox, with the perfex hooks."""
    with start_web() as url:
        yield url


@pytest.fixture
async def web(web_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_url, timeout=15) as http:
        yield http


@pytest.fixture
async def perfex_client(sandbox_url: str) -> AsyncIterator[PerfexClient]:  # noqa: F811
    async with PerfexClient(sandbox_url + "/api", TOKEN) as client:
        yield client


def make_job(redis: Redis, client: PerfexClient, resource: str) -> PollJob:
    """A poll job on the sandbox, as the poller's loop would hold it."""
    return PollJob(
        redis=redis, store=EventStore(redis), source=PerfexSource(client), resource=resource
    )


async def events(redis: Redis, prefix: str = "perfex.") -> list[dict[str, Any]]:
    """Every stored event of the router's stream whose type starts with `prefix`."""
    out = []
    for _, fields in await redis.xrange(constants.EVENT_STREAM):
        raw = await redis.get(constants.EVENT_KEY + fields[b"id"].decode())
        if raw is not None and json.loads(raw)["type"].startswith(prefix):
            out.append(json.loads(raw))
    return out


async def push(
    web: httpx.AsyncClient, body: dict[str, Any], hook: str = "perfex"
) -> httpx.Response:
    """Deliver one signed push to the web app."""
    raw, headers = signed(body)
    return await web.post(f"/hooks/{hook}", content=raw, headers=headers)


async def gets(sandbox: Any, resource: str) -> list[str]:
    """The paths of the record GETs the sandbox answered for `resource` (/api/<res>/<id>)."""
    prefix = f"/api/{resource}/"
    return [c["path"] for c in await sandbox.calls() if c["path"].startswith(prefix)]


async def duplicates(redis: Redis, source: str) -> int:
    raw = await redis.hget(constants.STATS, "trigger_duplicates_" + source)  # type: ignore[misc]
    return int(raw or 0)
