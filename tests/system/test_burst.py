"""A burst of inbound webhooks while no worker runs: all stored, all delivered once after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.system.conftest import Receiver
from tests.system.harness import BridgeSystem, rules_text, send_stream, seq_of, webhook_rule
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(150)]

BURST = 1000


async def test_burst_while_worker_down_is_delivered_once_after(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """1,000 webhooks accepted with no worker are each delivered once when one starts."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    rules.write_text(rules_text(webhook_rule("burst", f"{url}/burst")))
    bridge = system(rules)
    bridge.start_web()

    sent = await send_stream(bridge.web_url, range(BURST), concurrency=20)
    assert len(sent) == BURST
    assert receiver.deliveries == []

    await bridge.worker_ready(store)
    ledger = await settle(store, sent, lambda: receiver.deliveries, seq_of, within=90)
    ledger.assert_balanced()
    assert len(ledger.once) + len(ledger.duplicates) == BURST
