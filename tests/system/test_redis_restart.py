"""Redis (AOF on) restarted in the middle of a stream: every accepted event delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bridge.loopback.processes import RestartableValkey
from tests.system.conftest import Receiver
from tests.system.harness import BridgeSystem, rules_text, send_stream, seq_of, webhook_rule
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(180)]

EVENTS = 300
RATE = 40.0


async def test_redis_restart_mid_stream_loses_nothing(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    valkey: RestartableValkey,
    store: Redis,
) -> None:
    """Senders get 503 while Redis is down and send again; each event is delivered once."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    rules.write_text(rules_text(webhook_rule("restart", f"{url}/restart")))
    bridge = system(rules)
    web = bridge.start_web()
    worker = await bridge.worker_ready(store)

    async def restart() -> None:
        await asyncio.sleep(2.5)
        await asyncio.to_thread(valkey.stop)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(valkey.start)

    stream = asyncio.create_task(send_stream(bridge.web_url, range(EVENTS), rate=RATE))
    await restart()
    sent = await stream
    assert len(sent) == EVENTS

    ledger = await settle(store, sent, lambda: receiver.deliveries, seq_of, within=90)
    ledger.assert_balanced()
    assert web.alive, "bridge web died with Redis:\n" + web.log()[-2000:]
    assert worker.alive, "bridge worker died with Redis:\n" + worker.log()[-2000:]
