"""Process fixtures for the system tests: a restartable Valkey, receivers, the bridge.

Each test gets its own Valkey (AOF on, fixed port, so it can be restarted in place), its
own receivers on 127.0.0.1 and a `BridgeSystem` whose processes are stopped at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bridge.loopback.processes import RestartableValkey
from bridge.loopback.receiver import ReceiverState, create_receiver
from bridge.loopback.servers import free_port, serve_in_thread
from tests.system.harness import BridgeSystem


@pytest.fixture
def valkey(tmp_path: Path) -> Iterator[RestartableValkey]:
    """A Valkey of this test only, with AOF on, restartable in place."""
    server = RestartableValkey(tmp_path / "valkey", free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def store(valkey: RestartableValkey) -> AsyncIterator[Redis]:
    """A client on the test's Valkey, for the audit."""
    client: Redis = Redis.from_url(valkey.url, socket_timeout=10)
    try:
        yield client
    finally:
        await client.aclose()


Receiver = tuple[str, ReceiverState]


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    """Start receivers on 127.0.0.1: `url, state = receivers()`."""
    with ExitStack() as stack:

        def start() -> Receiver:
            app = create_receiver()
            url = stack.enter_context(serve_in_thread(app, access_log=False))
            state: ReceiverState = app.state.receiver
            return url, state

        yield start


@pytest.fixture
def system(tmp_path: Path, valkey: RestartableValkey) -> Iterator[Callable[..., BridgeSystem]]:
    """Build the bridge on the test's Valkey: `system(rules_path, **env)`."""
    built: list[BridgeSystem] = []

    def make(rules: Path, **env: str) -> BridgeSystem:
        made = BridgeSystem(tmp_path, valkey.url, rules, **env)
        built.append(made)
        return made

    yield make
    for made in built:
        made.teardown()
