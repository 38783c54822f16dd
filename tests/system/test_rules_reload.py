"""Rules reloaded (and broken for a moment) in the middle of a stream.

A rule edited in place keeps its runs: each event is delivered once, to the old URL or
the new one. A rule removed while its runs wait in the queue dead-letters them with the
reason (a person can replay them); none is lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bridge.loopback.receiver import Delivery
from tests.system.conftest import Receiver
from tests.system.harness import (
    BridgeSystem,
    rules_text,
    send_stream,
    seq_of,
    webhook_rule,
    write_rules,
)
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(150)]

EVENTS = 300
RATE = 40.0
#: The watcher polls the files every second; a margin for a loaded machine.
RELOAD_LAG = 1.5


async def test_rules_reload_mid_stream_accounts_for_every_event(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """Edited rule: each event once, old URL then new; removed rule: the rest dead-lettered."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    old = rules_text(webhook_rule("relay", f"{url}/old"), webhook_rule("extra", f"{url}/extra"))
    new = rules_text(webhook_rule("relay", f"{url}/new"))
    write_rules(rules, old)
    bridge = system(rules)
    bridge.start_web()
    await bridge.worker_ready(store)
    marks: dict[str, float] = {}

    async def edit() -> None:
        await asyncio.sleep(2.0)
        marks["broken"] = time.time()
        write_rules(rules, old + "\n  - name: [broken\n")  # a broken edit keeps the old rules
        await asyncio.sleep(3.0)
        marks["new"] = time.time()
        write_rules(rules, new)

    stream = asyncio.create_task(send_stream(bridge.web_url, range(EVENTS), rate=RATE))
    await edit()
    sent = await stream
    assert len(sent) == EVENTS

    def at(*paths: str) -> Callable[[], list[Delivery]]:
        return lambda: [d for d in receiver.deliveries if d.path in paths]

    relay = await settle(store, sent, at("/old", "/new"), seq_of, rules=["relay"])
    relay.assert_balanced(duplicates_allowed=False)
    extra = await settle(store, sent, at("/extra"), seq_of, rules=["extra"])
    extra.assert_balanced(dead=None, duplicates_allowed=False, unmatched_allowed=True)
    # runs of the removed rule still queued at the reload (if the worker lagged) are
    # dead-lettered with the reason, never lost
    assert all("not loaded" in why for why in extra.dead.values()), extra.summary()

    old_times = [d.received_at for d in receiver.delivered() if d.path == "/old"]
    new_times = [d.received_at for d in receiver.delivered() if d.path == "/new"]
    assert new_times, "the new rules took over"
    assert min(new_times) >= marks["new"], "nothing used the new rules before they existed"
    assert max(old_times) > marks["broken"] + RELOAD_LAG, "the broken edit kept the old rules"
