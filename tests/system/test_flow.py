"""Schedules, delays and loops with real processes: replicas, SIGKILL, the ledger.

The bridge runs as users run it (`bridge web`, `bridge worker`) on the test's own Valkey
(append-only file on), and every process is killed the hard way where the test says so.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bridge.executor.history import runs_for_event
from bridge.loopback.processes import RestartableValkey
from bridge.loopback.receiver import Delivery
from tests.system.conftest import Receiver
from tests.system.harness import HOOK, BridgeSystem, rules_text, seq_of
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]


def _ticks(deliveries: list[Delivery]) -> dict[str, set[str | None]]:
    """scheduled_for -> the webhook-ids it was delivered with."""
    out: dict[str, set[str | None]] = defaultdict(set)
    for delivery in deliveries:
        if delivery.status < 300:
            out[json.loads(delivery.body)["seq"]].add(delivery.webhook_id)
    return out


async def test_two_replicas_fire_each_tick_once_and_survive_a_kill(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """Two workers tick `every: 2s` together: every tick once, none twice, none skipped,
    also while one of them is SIGKILLed."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    rules.write_text(
        rules_text(f"""
  - name: beat
    on: schedule
    schedule: {{every: 2s}}
    do:
      - webhook: {{url: "{url}/beat", body: {{seq: "{{{{ event.data.scheduled_for }}}}"}}}}
""")
    )
    bridge = system(rules)
    first = await bridge.worker_ready(store)
    second = bridge.process("worker", name="worker2").start()
    await _until(lambda: len(_ticks(receiver.deliveries)) >= 4, 60)
    second.kill()
    seen = len(_ticks(receiver.deliveries))
    await _until(lambda: len(_ticks(receiver.deliveries)) >= seen + 3, 30)
    first.stop()
    ticks = _ticks(receiver.deliveries)
    assert all(len(ids) == 1 for ids in ticks.values()), ticks
    stamps = sorted(int(datetime.fromisoformat(t).timestamp()) for t in ticks)
    assert stamps == list(range(stamps[0], stamps[-1] + 1, 2)), stamps
    events = [k async for k in store.scan_iter(match="bridge:event:schedule.beat:*")]
    assert len(events) == len(stamps)


async def test_sigkill_every_process_during_a_delay_still_resumes_once_on_time(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
    valkey: RestartableValkey,
) -> None:
    """Runs parked by `delay: 15s`; web and worker SIGKILLed, Valkey restarted; each run
    still sends its next step once, within a second of its resume time."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    rules.write_text(
        rules_text(f"""
  - name: later
    on: webhook.{HOOK}
    do:
      - delay: 15s
      - webhook: {{url: "{url}/after", body: {{seq: "{{{{ event.data.seq }}}}"}}}}
""")
    )
    bridge = system(rules)
    web = bridge.start_web()
    worker = await bridge.worker_ready(store)
    sent = {}
    async with httpx.AsyncClient(base_url=bridge.web_url, timeout=10) as client:
        for n in range(5):
            answer = await client.post(f"/hooks/{HOOK}", json={"seq": str(n)})
            assert answer.status_code == 202
            sent[str(n)] = answer.json()["event_id"]

    async def parked() -> list[dict[str, object]]:
        runs = [r for e in sent.values() for r in await runs_for_event(store, e)]
        return runs if len(runs) == 5 and all(r["status"] == "waiting" for r in runs) else []

    deadline = time.monotonic() + 30
    while not (runs := await parked()):
        assert time.monotonic() < deadline, "runs never parked"
        await asyncio.sleep(0.1)
    wake = {str(r["event_id"]): float(str(r["wake_at"])) for r in runs}
    web.kill()
    worker.kill()
    valkey.stop()
    valkey.start()
    fresh: Redis = Redis.from_url(valkey.url, socket_timeout=10)
    try:
        await bridge.worker_ready(fresh, worker)
        assert time.time() < min(wake.values()), "the restart took longer than the delay"
        ledger = await settle(fresh, sent, lambda: receiver.deliveries, seq_of, within=60)
    finally:
        await fresh.aclose()
    ledger.assert_balanced(duplicates_allowed=False)
    for delivery in receiver.deliveries:
        due = wake[sent[json.loads(delivery.body)["seq"]]]
        assert due <= delivery.received_at < due + 1.0, (due, delivery.received_at)


async def test_a_worker_killed_in_the_middle_of_100_items_delivers_each_once(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """100 for_each children; the worker is SIGKILLed mid-way; every item arrives, none
    twice (beyond a re-sent interrupted attempt with the same webhook-id); ledger balances."""
    url, receiver = receivers()
    receiver.delay = 0.1
    rules = tmp_path / "rules.yml"
    rules.write_text(
        rules_text(f"""
  - name: each
    on: webhook.{HOOK}
    do:
      - for_each: "{{{{ event.data.lines }}}}"
        max_items: 100
        do:
          - webhook: {{url: "{url}/item", body: {{seq: "{{{{ item }}}}"}}}}
""")
    )
    bridge = system(rules, BRIDGE_JOB_TIMEOUT="10")
    bridge.start_web()
    worker = await bridge.worker_ready(store)
    async with httpx.AsyncClient(base_url=bridge.web_url, timeout=10) as client:
        answer = await client.post(f"/hooks/{HOOK}", json={"lines": list(range(100))})
    assert answer.status_code == 202
    event_id = answer.json()["event_id"]
    await _until(lambda: len(receiver.deliveries) >= 20, 60)
    worker.kill()
    assert len(receiver.deliveries) < 100, "the loop finished before the kill"
    await bridge.worker_ready(store, worker)
    sent = {str(i): event_id for i in range(100)}
    ledger = await settle(
        store, sent, lambda: receiver.deliveries, seq_of, rules=["each"], within=120
    )
    ledger.assert_balanced()
    by_item: dict[str, set[str | None]] = defaultdict(set)
    for delivery in receiver.deliveries:
        by_item[str(seq_of(delivery))].add(delivery.webhook_id)
    assert sorted(by_item, key=int) == [str(i) for i in range(100)]
    assert all(len(ids) == 1 for ids in by_item.values()), by_item


async def _until(check: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
