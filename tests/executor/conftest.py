"""Executor fixtures: a recording HTTP receiver, settings, an in-process worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bridge.loopback.servers import serve_in_thread
from bridge.settings import Settings, load_settings
from tests.executor.helpers import FixedRules, Receiver
from workers.worker import run_worker_async


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A recording receiver on 127.0.0.1 and its base URL."""
    app = Receiver()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """Settings for the test Valkey, with loopback targets allowed."""
    return load_settings(redis_url=redis_url, allow_private_targets=True, rules="/nonexistent")


WorkerFactory = Callable[..., Any]


@pytest.fixture
def worker(redis_url: str) -> WorkerFactory:
    """`async with worker(settings, rules): ...` runs worker + router in this loop."""

    @asynccontextmanager
    async def start(settings: Settings, rules: FixedRules, **kw: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_worker_async(settings, redis_url, stop, rules=rules, completion_wait=1, **kw)
        )
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    return start
