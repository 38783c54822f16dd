"""Reconcile: a changed record is one `updated` event with its changes, a deleted one one
`deleted` event; the first reconcile is a silent baseline."""

from __future__ import annotations

from redis.asyncio import Redis

from bridge.poller import keys
from bridge.poller.service import PollerService
from tests.poller.conftest import (
    FAST,
    Control,
    make_settings,
    running,
    settle,
    stored_events,
    wait_until,
)


async def _ready(redis: Redis, resource: str) -> bool:
    return bool(await redis.exists(keys.SNAPSHOT_READY + resource))


async def test_status_change_is_one_updated_event(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """A lead's status changed in the UI: one perfex.leads.updated with {status: [old, new]}."""
    [lead] = await control.create(
        "leads", [{"name": "Ada", "status": "1", "source": "1", "assigned": "1"}]
    )
    service = PollerService(make_settings(control.url, redis_url), redis, timing=FAST)
    async with running(service):
        await wait_until(lambda: _ready(redis, "leads"), what="the reconcile baseline")
        assert await stored_events(redis) == []
        await control.update("leads", lead["id"], {"status": "2"})
        await wait_until(lambda: _has(redis, 1), what="an updated event")
        await settle(redis, "leads", polls=4)
    [event] = await stored_events(redis)
    assert event["type"] == "perfex.leads.updated"
    assert event["changes"] == {"status": ["1", "2"]}
    assert event["data"]["status"] == "2"
    assert event["id"].startswith(f"perfex:leads:{lead['id']}:updated:")


async def _has(redis: Redis, n: int) -> bool:
    return len(await stored_events(redis)) >= n


async def test_deleted_customer_is_one_deleted_event(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """A customer deleted in Perfex: one perfex.customers.deleted with its last data."""
    kept, gone = await control.create("customers", [{"company": "Kept"}, {"company": "Gone"}])
    settings = make_settings(control.url, redis_url, poll_resources=("customers",))
    service = PollerService(settings, redis, timing=FAST)
    async with running(service):
        await wait_until(lambda: _ready(redis, "customers"), what="the reconcile baseline")
        await control.delete("customers", gone["userid"])
        await wait_until(lambda: _has(redis, 1), what="a deleted event")
        await settle(redis, "customers", polls=4)
    [event] = await stored_events(redis)
    assert event["type"] == "perfex.customers.deleted"
    assert event["data"]["company"] == "Gone"
    assert await redis.hkeys(keys.SNAPSHOT + "customers") == [str(kept["userid"]).encode()]  # type: ignore[misc]


async def test_ticket_pages_are_all_reconciled(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Tickets are listed 100 a page: a change on the third page is still seen."""
    rows = [
        {"subject": f"t{i}", "department": "1", "contactid": "1", "userid": "1"} for i in range(230)
    ]
    tickets = await control.create("tickets", rows)
    settings = make_settings(control.url, redis_url, poll_resources=("tickets",))
    service = PollerService(settings, redis, timing=FAST)
    async with running(service):
        await wait_until(lambda: _ready(redis, "tickets"), what="the reconcile baseline")
        assert await redis.hlen(keys.SNAPSHOT + "tickets") == 230  # type: ignore[misc]
        last = tickets[-1]
        await control.update("tickets", last["ticketid"], {"priority": "3"})
        await wait_until(lambda: _has(redis, 1), what="an updated ticket")
        await settle(redis, "tickets", polls=3)
    [event] = await stored_events(redis)
    assert event["type"] == "perfex.tickets.updated"
    assert event["changes"] == {"priority": ["2", "3"]}
