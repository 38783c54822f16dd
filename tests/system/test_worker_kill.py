"""SIGKILL the worker three times during a steady stream: nothing lost, doubles explained.

A killed worker's jobs wait for their lease `arq:in-progress:<job>` to lapse (10 s without
renewal) before another worker runs them again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.system.conftest import Receiver
from tests.system.harness import BridgeSystem, rules_text, send_stream, seq_of, webhook_rule
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]

EVENTS = 300
RATE = 40.0


async def test_worker_killed_three_times_loses_nothing(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """Each event is delivered (duplicates only with an interrupted attempt as the reason)."""
    url, receiver = receivers()
    receiver.delay = 0.05  # steps in flight when the worker dies
    rules = tmp_path / "rules.yml"
    rules.write_text(rules_text(webhook_rule("kill", f"{url}/kill")))
    bridge = system(rules, BRIDGE_JOB_TIMEOUT="10")
    bridge.start_web()
    worker = await bridge.worker_ready(store)

    async def kill_three_times() -> int:
        kills = 0
        for _ in range(3):
            await asyncio.sleep(1.5)
            worker.kill()
            kills += 1
            await bridge.worker_ready(store, worker)
        return kills

    stream = asyncio.create_task(send_stream(bridge.web_url, range(EVENTS), rate=RATE))
    kills = await kill_three_times()
    sent = await stream
    assert kills == 3
    assert len(sent) == EVENTS

    ledger = await settle(store, sent, lambda: receiver.deliveries, seq_of, within=150)
    ledger.assert_balanced()
    assert worker.alive
