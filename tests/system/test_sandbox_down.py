"""Perfex (the sandbox) down for two minutes of its clock: every lead created meanwhile fires once.

The poller polls every half second; while the sandbox answers 503 it backs off and keeps
its cursor. Leads are created directly in the sandbox's store during the outage while its
clock moves on by 120 s; once it is back, each of them is fired (and delivered) once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bridge.constants import POLLER_STATUS
from bridge.loopback.processes import wait_http
from bridge.loopback.servers import free_port
from tests.system.conftest import Receiver
from tests.system.harness import BridgeSystem, rules_text, seq_of, webhook_rule
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(150)]

TOKEN = "system-token"
CONTROL = "system-control"
BEFORE = 5
DURING = 24
OUTAGE = 120.0


async def _status(redis: Redis) -> dict[str, str]:
    raw: dict[bytes, bytes] = await redis.hgetall(POLLER_STATUS + "leads")  # type: ignore[misc]
    return {k.decode(): v.decode() for k, v in raw.items()}


async def test_sandbox_down_two_minutes_fires_each_new_lead_once(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """Leads created while Perfex answers 503 are each fired once after it is back."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    rules.write_text(
        rules_text(
            webhook_rule("lead", f"{url}/lead", on="perfex.leads.created", key="event.data.id")
        )
    )
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    bridge = system(
        rules,
        BRIDGE_PERFEX_URL=f"{api}/api",
        BRIDGE_PERFEX_TOKEN=TOKEN,
        BRIDGE_POLL_RESOURCES="leads",
        BRIDGE_POLL_INTERVAL="0.5",
        BRIDGE_RECONCILE_INTERVAL="3600",
    )
    sandbox = bridge.process(
        "sandbox",
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--control-token",
        CONTROL,
        name="sandbox",
    ).start()
    wait_http(f"{api}/_sandbox/clock", process=sandbox)
    await bridge.worker_ready(store)
    bridge.start_poller()
    control = httpx.AsyncClient(base_url=f"{api}/_sandbox", headers={"X-Sandbox-Token": CONTROL})
    sent: dict[str, str] = {}

    async def create_lead(n: int) -> None:
        response = await control.post("/records/leads", json={"name": f"Lead {n}", "status": 1})
        response.raise_for_status()
        lead = str(response.json()["id"])
        sent[lead] = f"perfex:leads:{lead}:created"

    async with control:
        for _ in range(100):
            if (await _status(store)).get("last_success"):
                break
            await asyncio.sleep(0.2)
        for n in range(BEFORE):
            await create_lead(n)
        before = await settle(store, sent, lambda: receiver.deliveries, seq_of, within=30)
        before.assert_balanced()

        fault = await control.post("/faults", json={"route": "/api/*", "mode": "down"})
        fault.raise_for_status()
        for n in range(DURING):
            await create_lead(BEFORE + n)
            await control.post("/clock", json={"advance": OUTAGE / DURING})
            await asyncio.sleep(0.15)
        for _ in range(50):
            if (await _status(store)).get("state") == "backoff":
                break
            await asyncio.sleep(0.2)
        assert (await _status(store)).get("state") == "backoff"
        assert len(receiver.delivered()) == BEFORE
        (await control.delete("/faults")).raise_for_status()

        ledger = await settle(store, sent, lambda: receiver.deliveries, seq_of, within=60)
    ledger.assert_balanced(duplicates_allowed=False)
    assert len(ledger.once) == BEFORE + DURING
