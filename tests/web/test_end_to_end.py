"""End to end: signed webhooks in, rules run by the real worker, records in the Perfex sandbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bridge.loopback.servers import serve_in_thread
from bridge.rules import RulesWatcher
from bridge.sandbox.app import create_app as create_sandbox
from bridge.settings import load_settings
from bridge.web.app import create_app
from tests.web import signing
from workers.worker import run_worker_async

SANDBOX_TOKEN = "e2e-sandbox-token"
RULES = f"""
hooks:
  - name: github
    verify: github
    secret: "{signing.GITHUB_SECRET}"
    event: "{{{{ headers['x-github-event'] }}}}"
  - name: stripe
    verify: stripe
    secret: "{signing.STRIPE_SECRET}"
    event: "{{{{ body.type }}}}"

rules:
  - name: issue-to-task
    on: webhook.github.issues
    if: event.data.action == 'opened'
    do:
      - perfex.tasks.create:
          name: "GitHub: {{{{ event.data.issue.title }}}}"
          description: "{{{{ event.data.issue.html_url }}}}"
          startdate: "{{{{ now.strftime('%Y-%m-%d') }}}}"
          rel_type: project
          rel_id: 1
  - name: invoice-paid
    on: webhook.stripe.invoice.paid
    do:
      - perfex.payments.create:
          invoiceid: "{{{{ event.data.data.object.metadata.perfex_invoice_id }}}}"
          amount: "{{{{ '%.2f' | format(event.data.data.object.amount_paid / 100) }}}}"
          paymentmode: 1
          transactionid: "{{{{ event.data.data.object.payment_intent }}}}"
"""


@pytest.fixture
def sandbox() -> Iterator[str]:
    """The seeded Perfex sandbox on 127.0.0.1 (invoice 1 and project 1 exist)."""
    with serve_in_thread(create_sandbox(token=SANDBOX_TOKEN, seed=True)) as url:
        yield url


@pytest.fixture
async def bridge_url(
    tmp_path: Path, redis: Redis, redis_url: str, sandbox: str
) -> AsyncIterator[str]:
    """Web app + worker/router in this process, sharing one loaded rules watcher."""
    path = tmp_path / "rules.yml"
    path.write_text(RULES)
    watcher = RulesWatcher(path, environ={})
    watcher.load_now()
    assert watcher.errors == []
    settings = load_settings(
        redis_url=redis_url, perfex_url=sandbox + "/api", perfex_token=SANDBOX_TOKEN, rules=path
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_worker_async(settings, redis_url, stop, rules=watcher, completion_wait=1)
    )
    try:
        with serve_in_thread(create_app(settings, redis_url=redis_url, rules=watcher)) as url:
            yield url
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)


async def records(sandbox: str, table: str) -> list[dict[str, Any]]:
    """Every record of a sandbox table."""
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            f"{sandbox}/_sandbox/records/{table}", headers={"x-sandbox-token": SANDBOX_TOKEN}
        )
    answer.raise_for_status()
    rows: list[dict[str, Any]] = answer.json()
    return rows


async def wait_for_record(sandbox: str, table: str, key: str, value: str) -> dict[str, Any]:
    """Poll the sandbox until a record with `key == value` exists (20 s at most)."""
    for _ in range(400):
        found = [row for row in await records(sandbox, table) if str(row.get(key)) == value]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {table} record with {key}={value!r}")


async def test_github_issue_creates_a_task(bridge_url: str, sandbox: str) -> None:
    """A GitHub-signed `issues` opened webhook becomes a sandbox task with the mapped fields."""
    body = json.dumps(
        {
            "action": "opened",
            "issue": {"title": "Crash on save", "html_url": "https://github.com/o/r/issues/9"},
        }
    ).encode()
    async with httpx.AsyncClient(base_url=bridge_url) as http:
        answer = await http.post("/hooks/github", content=body, headers=signing.github(body))
    assert answer.status_code == 202
    task = await wait_for_record(sandbox, "tasks", "name", "GitHub: Crash on save")
    assert task["rel_type"] == "project"
    assert str(task["rel_id"]) == "1"
    assert "issues/9" in task["description"]


async def test_stripe_invoice_paid_records_a_payment(bridge_url: str, sandbox: str) -> None:
    """A Stripe-signed invoice.paid records a payment on the Perfex invoice it names."""
    body = json.dumps(
        {
            "id": "evt_e2e_1",
            "type": "invoice.paid",
            "data": {
                "object": {
                    "amount_paid": 12345,
                    "payment_intent": "pi_e2e_1",
                    "metadata": {"perfex_invoice_id": "1"},
                }
            },
        }
    ).encode()
    async with httpx.AsyncClient(base_url=bridge_url) as http:
        answer = await http.post("/hooks/stripe", content=body, headers=signing.stripe(body))
        again = await http.post("/hooks/stripe", content=body, headers=signing.stripe(body))
    assert answer.status_code == 202
    assert again.json()["duplicate"] is True
    payment = await wait_for_record(sandbox, "payments", "transactionid", "pi_e2e_1")
    assert str(payment["invoiceid"]) == "1"
    assert float(payment["amount"]) == 123.45
    await asyncio.sleep(0.5)
    paid = [
        row for row in await records(sandbox, "payments") if row.get("transactionid") == "pi_e2e_1"
    ]
    assert len(paid) == 1
