"""Perfex push at a `verify: perfex` hook: thin data fetched, one event with the poll."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest
from redis.asyncio import Redis

from bridge.perfex.client import PerfexClient
from bridge.poller import keys
from bridge.poller.reconcile import reconcile
from tests.poller.conftest import TOKEN, Control, wait_until
from tests.push.conftest import SECRET, delivery, duplicates, events, make_job, signed

LEAD = {"name": "Ada", "status": "1", "source": "1", "assigned": "1"}
StartWeb = Callable[..., AbstractContextManager[str]]


async def _register(sandbox: str, url: str, events: list[str], secret: str = SECRET) -> int:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{sandbox}/api/webhooks",
            headers={"authtoken": TOKEN},
            data={"name": "bridge", "url": url, "events[]": events, "secret": secret},
        )
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


async def _push(
    web: httpx.AsyncClient, body: dict[str, object], hook: str = "perfex"
) -> httpx.Response:
    raw, headers = signed(body)
    return await web.post(f"/hooks/{hook}", content=raw, headers=headers)


async def test_sandbox_delivery_is_fetched_and_stored(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """A lead created in Perfex is pushed thin, fetched by GET and stored whole, push kept."""
    await _register(control.url, str(web.base_url) + "/hooks/perfex", ["lead_created"])
    [lead] = await control.create("leads", [LEAD])

    async def arrived() -> bool:
        return len(await events(redis)) == 1

    await wait_until(arrived, within=10, what="the pushed lead")
    [event] = await events(redis)
    assert event["id"] == f"perfex:leads:{lead['id']}:created"
    assert event["type"] == "perfex.leads.created"
    assert event["data"]["name"] == "Ada"  # fetched: the push said only the id
    assert event["data"]["push"]["event"] == "lead_created"
    assert event["data"]["push"]["data"]["id"] == int(lead["id"])
    calls = await control.calls()
    assert any(c["path"] == f"/api/leads/{lead['id']}" for c in calls)


async def test_bad_signature_and_old_timestamp_are_401(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """A wrong secret or a stale signature is refused (401) and nothing is stored."""
    [lead] = await control.create("leads", [LEAD])
    raw, headers = signed(delivery("lead_created", lead["id"]), secret="wrong")
    assert (await web.post("/hooks/perfex", content=raw, headers=headers)).status_code == 401
    raw, headers = signed(delivery("lead_created", lead["id"]), at=1_000_000_000)
    response = await web.post("/hooks/perfex", content=raw, headers=headers)
    assert response.status_code == 401
    assert "tolerance" in response.json()["error"]
    raw, headers = signed(delivery("lead_created", lead["id"]))
    del headers["x-perfex-signature"]
    assert (await web.post("/hooks/perfex", content=raw, headers=headers)).status_code == 401
    assert await events(redis) == []


async def test_not_a_delivery_is_400(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """Signed but not {"event", "data"} (or a bad id) answers 400 and stores nothing."""
    for body in (
        {"hello": 1},
        {"event": "lead_created", "data": {"id": "1; DROP"}},
        {"event": "lead_created", "data": [1]},
        {"event": "BAD NAME"},
    ):
        response = await _push(web, body)  # type: ignore[arg-type]
        assert response.status_code == 400, body
    assert await events(redis) == []


async def test_perfex_down_answers_503_and_loses_nothing(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """When the GET fails the push is answered 503 (Perfex retries); the retry stores it."""
    [lead] = await control.create("leads", [LEAD])
    await control.fault({"route": "/api/leads/*", "mode": "down"})
    body = delivery("lead_created", lead["id"])
    response = await _push(web, body)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert await events(redis) == []
    await control.clear_faults()
    response = await _push(web, body)
    assert response.status_code == 202
    assert response.json()["event_id"] == f"perfex:leads:{lead['id']}:created"


async def test_update_poll_first_then_push_is_one_event(
    control: Control, redis: Redis, web: httpx.AsyncClient, perfex_client: PerfexClient
) -> None:
    """The poll stores an update; the push of the same change is a counted duplicate."""
    [lead] = await control.create("leads", [LEAD])
    job = make_job(redis, perfex_client, "leads")
    assert await reconcile(job) == 0  # baseline
    await control.update("leads", lead["id"], {"status": "2"})
    assert await reconcile(job) == 1
    [polled] = await events(redis)
    response = await _push(web, delivery("lead_updated", lead["id"]))
    assert response.status_code == 200
    assert response.json() == {"event_id": polled["id"], "duplicate": True}
    assert len(await events(redis)) == 1
    assert await duplicates(redis, "push") == 1
    metrics = (await web.get("/metrics")).text
    assert 'bridge_trigger_duplicates_total{source="push"} 1.0' in metrics


async def test_update_push_first_then_poll_is_one_event(
    control: Control, redis: Redis, web: httpx.AsyncClient, perfex_client: PerfexClient
) -> None:
    """The push stores an update; the next reconcile derives its id and counts a duplicate."""
    [lead] = await control.create("leads", [LEAD])
    job = make_job(redis, perfex_client, "leads")
    await reconcile(job)
    await control.update("leads", lead["id"], {"status": "2", "title": "CTO"})
    response = await _push(web, delivery("lead_updated", lead["id"]))
    assert response.status_code == 202
    pushed = response.json()["event_id"]
    assert await reconcile(job) == 0
    [event] = await events(redis)
    assert event["id"] == pushed
    assert event["changes"] == {"status": ["1", "2"], "title": ["", "CTO"]}
    assert await duplicates(redis, "poll") == 1
    await control.update("leads", lead["id"], {"status": "3"})  # a later change still fires
    assert await reconcile(job) == 1
    assert len(await events(redis)) == 2


async def test_update_seen_by_poll_and_push_without_baseline_order(
    control: Control, redis: Redis, web: httpx.AsyncClient, perfex_client: PerfexClient
) -> None:
    """Two pushes of one change are one event; the same id the poll gives it."""
    [lead] = await control.create("leads", [LEAD])
    job = make_job(redis, perfex_client, "leads")
    await reconcile(job)
    await control.update("leads", lead["id"], {"status": "4"})
    first = await _push(web, delivery("lead_updated", lead["id"]))
    again = await _push(web, delivery("lead_updated", lead["id"]))
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["event_id"] == first.json()["event_id"]
    assert await duplicates(redis, "push") == 1


async def test_created_and_deleted_meet_the_poll_in_either_order(
    control: Control, redis: Redis, web: httpx.AsyncClient, perfex_client: PerfexClient
) -> None:
    """created and deleted pushes share the poll's ids: one event each, duplicates counted."""
    job = make_job(redis, perfex_client, "leads")
    [first] = await control.create("leads", [LEAD])
    await reconcile(job)  # baseline knows `first`
    [second] = await control.create("leads", [{**LEAD, "name": "Bo"}])
    assert (await _push(web, delivery("lead_created", second["id"]))).status_code == 202
    assert await reconcile(job) == 0  # push first: the poll's created is the duplicate
    assert await duplicates(redis, "poll") == 1
    await control.delete("leads", first["id"])
    assert await reconcile(job) == 1  # poll first: deleted
    response = await _push(web, delivery("lead_deleted", first["id"]))
    assert response.json()["duplicate"] is True
    await control.delete("leads", second["id"])
    assert (await _push(web, delivery("lead_deleted", second["id"]))).status_code == 202
    assert await reconcile(job) == 0
    kinds = sorted(e["type"] for e in await events(redis))
    assert kinds == ["perfex.leads.created", "perfex.leads.deleted", "perfex.leads.deleted"]
    assert await duplicates(redis, "push") == 1
    assert await duplicates(redis, "poll") == 2


async def test_other_events_are_stored_once_per_delivery(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """invoice_paid / ticket_reply_created have no poll twin: stored fetched, redelivery = one."""
    [ticket] = await control.create("tickets", [{"subject": "Help", "userid": "1"}])
    body = delivery("ticket_reply_created", ticket["id"], reply_id=7)
    first = await _push(web, body)
    again = await _push(web, body)
    assert first.status_code == 202 and again.json()["duplicate"] is True
    [event] = await events(redis)
    assert event["type"] == "perfex.tickets.reply_created"
    assert event["data"]["subject"] == "Help"
    assert event["data"]["push"]["data"]["reply_id"] == 7


async def test_zapier_poll_and_push_of_a_creation_in_either_order(
    control: Control, redis: Redis, web: httpx.AsyncClient, perfex_client: PerfexClient
) -> None:
    """The Zapier poll's created and a lead_created push: one event each, both orders."""
    from bridge.poller.created import poll_created

    job = make_job(redis, perfex_client, "leads")
    await poll_created(job)  # the first poll: cursor only
    await control.advance(5)
    [pushed_first] = await control.create("leads", [{**LEAD, "name": "Push first"}])
    assert (await _push(web, delivery("lead_created", pushed_first["id"]))).status_code == 202
    assert (await poll_created(job)).fired == 0
    assert await duplicates(redis, "poll") == 1
    await control.advance(5)
    [polled_first] = await control.create("leads", [{**LEAD, "name": "Poll first"}])
    assert (await poll_created(job)).fired == 1
    response = await _push(web, delivery("lead_created", polled_first["id"]))
    assert response.json() == {
        "event_id": f"perfex:leads:{polled_first['id']}:created",
        "duplicate": True,
    }
    assert await duplicates(redis, "push") == 1
    assert [e["data"]["name"] for e in await events(redis)] == ["Push first", "Poll first"]


async def test_expense_get_answering_a_list_is_unwrapped(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """Resources whose GET answers a one-element list (expenses) are stored as the record."""
    [expense] = await control.create("expenses", [{"expense_name": "Hosting", "amount": "9"}])
    assert (await _push(web, delivery("expense_created", expense["id"]))).status_code == 202
    [event] = await events(redis)
    assert event["type"] == "perfex.expenses.created"
    assert event["data"]["expense_name"] == "Hosting"


async def test_event_without_a_fetchable_record_keeps_the_push(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """kb_article_created has no API GET: stored with what the push said, once."""
    body = delivery("kb_article_created", 4, subject="How to pay")
    assert (await _push(web, body)).status_code == 202
    assert (await _push(web, body)).json()["duplicate"] is True
    [event] = await events(redis)
    assert event["type"] == "perfex.knowledge_base.created"
    assert (
        event["data"]["subject"] == "How to pay" and event["data"]["push"]["event"] == body["event"]
    )
    assert not [c for c in await control.calls() if "knowledge" in c["path"]]


async def test_deleted_record_gone_before_the_get_keeps_the_push(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """lead_updated for a lead already deleted (GET 404): stored thin, not refused."""
    response = await _push(web, delivery("lead_updated", 999))
    assert response.status_code == 202
    [event] = await events(redis)
    assert event["type"] == "perfex.leads.updated" and event["data"]["id"] == 999


@pytest.mark.parametrize("missing", ["perfex_url", "perfex_token"])
async def test_push_without_perfex_configured_stores_what_it_carried(
    control: Control, redis: Redis, start_web: StartWeb, missing: str
) -> None:
    """No BRIDGE_PERFEX_URL (or token): the thin push is stored as it came, no GET made."""
    [lead] = await control.create("leads", [LEAD])
    rid = int(lead["id"])
    created, updated = delivery("lead_created", rid), delivery("lead_updated", rid, status=2)
    with start_web(**{missing: None}) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as web:
            first = await _push(web, created)
            assert first.status_code == 202
            assert first.json()["event_id"] == f"perfex:leads:{rid}:created"
            assert (await _push(web, updated)).status_code == 202
            assert (await _push(web, updated)).json()["duplicate"] is True  # redelivery
    assert await control.calls() == []
    created_event, updated_event = await events(redis)
    assert created_event["data"] == {
        "id": rid,
        "_source_hook": "after_lead_created",
        "push": {
            "event": "lead_created",
            "timestamp": created["timestamp"],
            "data": created["data"],
        },
    }
    assert updated_event["type"] == "perfex.leads.updated"
    assert updated_event["id"].startswith(f"perfex:leads:{rid}:updated:")
    assert updated_event["data"]["status"] == 2 and "name" not in updated_event["data"]
    assert not await redis.exists(keys.PENDING + "leads")  # nothing for a poll to meet


async def test_pushes_read_perfex_over_one_kept_alive_connection(
    control: Control, redis: Redis, web: httpx.AsyncClient
) -> None:
    """Three pushes one after another: their GETs reach Perfex on one connection (the web
    keeps one pooled client), not a new connection (and TLS handshake) per push."""
    leads = await control.create("leads", [LEAD, LEAD, LEAD])
    for lead in leads:
        assert (await _push(web, delivery("lead_created", lead["id"]))).status_code == 202
    calls = [c for c in await control.calls() if c["path"].startswith("/api/leads/")]
    assert len(calls) == 3
    assert len({c["peer_port"] for c in calls}) == 1
