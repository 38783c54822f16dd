"""A receiver answering 500 for a while, then 200; one answering 410; one healthy.

The flaky receiver's failures open its circuit breaker; runs that wait behind the
half-open probe are deferred for the probe's lease (job timeout + 10 s, 70 s by default),
so the last of them arrive that long after the receiver recovered.
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

EVENTS = 100
RETRY = "{attempts: 12, backoff: 0.5, max_delay: 3}"


async def test_failing_receiver_recovers_and_others_are_unaffected(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """500s are retried until 200; 410 is dead-lettered at once; the healthy one gets all."""
    flaky_url, flaky = receivers()
    gone_url, gone = receivers()
    healthy_url, healthy = receivers()
    flaky.fail_ratio, flaky.fail_status = 1.0, 500
    gone.fail_ratio, gone.fail_status = 1.0, 410
    rules = tmp_path / "rules.yml"
    rules.write_text(
        rules_text(
            webhook_rule("flaky", f"{flaky_url}/hook", retry=RETRY),
            webhook_rule("gone", f"{gone_url}/hook", retry=RETRY),
            webhook_rule("healthy", f"{healthy_url}/hook", retry=RETRY),
        )
    )
    bridge = system(rules)
    bridge.start_web()
    await bridge.worker_ready(store)

    sent = await send_stream(bridge.web_url, range(EVENTS), rate=50)
    await asyncio.sleep(3.0)
    assert not flaky.delivered()
    flaky.fail_ratio = 0.0

    healthy_ledger = await settle(
        store, sent, lambda: healthy.deliveries, seq_of, rules=["healthy"], within=30
    )
    healthy_ledger.assert_balanced()
    gone_ledger = await settle(store, sent, lambda: gone.deliveries, seq_of, rules=["gone"])
    gone_ledger.assert_balanced(dead=EVENTS)
    assert len(gone.deliveries) == EVENTS, "410 is final: no retry"
    flaky_ledger = await settle(
        store, sent, lambda: flaky.deliveries, seq_of, rules=["flaky"], within=150
    )
    flaky_ledger.assert_balanced()
    assert any(d.status == 500 for d in flaky.deliveries)
