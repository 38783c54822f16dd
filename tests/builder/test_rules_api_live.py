"""A running bridge (real `bridge web` with its RulesWatcher, a real `bridge worker`) picks up
a rule created through the API and runs it for an event; switched off, it runs no more."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.system.conftest import Receiver, receivers, store, system, valkey  # noqa: F401
from tests.system.harness import BridgeSystem

pytestmark = [pytest.mark.timeout(120)]

TOKEN = "live-builder-admin-token-0123456789"
ORDERS_TOKEN = "orders-token-live-5555"


async def _until(check: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_created_rule_is_picked_up_and_run(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],  # noqa: F811
    receivers: Callable[[], Receiver],  # noqa: F811
    store: Redis,  # noqa: F811
) -> None:
    """POST /api/rules (a hook and its rule) on a running bridge: hot reload serves the new
    hook, an event to it runs the step on the worker; after `enabled: false` the next event
    runs nothing."""
    url, receiver = receivers()
    rules = tmp_path / "rules"
    rules.mkdir()
    bridge = system(
        rules, BRIDGE_ADMIN_TOKEN=TOKEN, ORDERS_TOKEN=ORDERS_TOKEN, BRIDGE_LOG_LEVEL="INFO"
    )
    bridge.start_web()
    worker = await bridge.worker_ready(store)

    def worker_loaded(generation: int) -> Callable[[], bool]:
        """The worker routes events with its own watcher: wait for its reload too."""
        return lambda: f"rules loaded (generation {generation})" in worker.log()

    rule = {
        "name": "order-to-chat",
        "on": "webhook.orders",
        "do": [{"webhook": {"url": f"{url}/chat", "body": {"order": "{{ event.data.id }}"}}}],
    }
    hooks = [{"name": "orders", "verify": "token", "secret": "${ORDERS_TOKEN}"}]
    admin = {"Authorization": f"Bearer {TOKEN}"}
    sender = {"Authorization": f"Bearer {ORDERS_TOKEN}"}
    async with httpx.AsyncClient(base_url=bridge.web_url, timeout=30) as client:
        created = await client.post(
            "/api/rules", json={"rule": rule, "hooks": hooks}, headers=admin
        )
        assert created.status_code == 201, created.text
        assert ORDERS_TOKEN not in (rules / "order-to-chat.yml").read_text()

        async def hook_status(order: int) -> int:
            response = await client.post("/hooks/orders", json={"id": order}, headers=sender)
            return response.status_code

        deadline = time.monotonic() + 15
        while True:
            status = await hook_status(1)
            if status != 404 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert status == 202, "the new hook was not served after the reload"
        await _until(worker_loaded(2), 30, "the worker's reload")
        assert await hook_status(3) == 202
        await _until(
            lambda: {"order": 3} in [json.loads(d.body) for d in receiver.delivered()],
            30,
            "the rule's webhook",
        )

        off = await client.post(
            "/api/rules/order-to-chat/enabled", json={"enabled": False}, headers=admin
        )
        assert off.status_code == 200, off.text

        async def shown_off() -> bool:
            listed = (await client.get("/api/rules", headers=admin)).json()["rules"]
            return any(r["name"] == "order-to-chat" and r["enabled"] is False for r in listed)

        deadline = time.monotonic() + 15
        while not await shown_off():
            assert time.monotonic() < deadline, "the switch-off was not reloaded"
            await asyncio.sleep(0.2)
        await _until(worker_loaded(3), 30, "the worker's reload")
        # switched off, the rule no longer listens, so its hook (secret set) still accepts
        assert await hook_status(2) == 202
        await asyncio.sleep(3)
        runs = (await client.get("/api/runs", headers=admin)).json()["items"]
    # order 1 may have met the worker before its reload; order 2 came after the switch-off
    orders = [json.loads(d.body)["order"] for d in receiver.delivered()]
    assert 3 in orders and 2 not in orders
    assert {r["rule"] for r in runs} == {"order-to-chat"} and len(runs) == len(orders)
