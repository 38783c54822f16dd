"""Every resource of a v3 module: created from the list, reconcile with fields=/sort=,
older modules (plain arrays, a 404 list), and `bridge.poller.stopped`."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from redis.asyncio import Redis

from bridge.poller import keys
from bridge.poller.service import PollerService
from tests.poller.conftest import (
    FAST,
    Control,
    make_settings,
    running,
    settle,
    status,
    stored_events,
    wait_until,
)

PROJECT = {"name": "P", "clientid": "1", "status": "2", "billing_type": "1", "rel_type": "customer"}


async def _count(redis: Redis, n: int, prefix: str = "perfex.") -> bool:
    return len(await stored_events(redis, prefix)) >= n


async def test_list_created_first_pass_remembers_then_fires(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Projects (outside the Zapier poll): 3 existing make no event; 2 new make 2 created."""
    await control.create("projects", [PROJECT] * 3)
    settings = make_settings(control.url, redis_url, poll_resources=("projects",))
    async with running(PollerService(settings, redis, timing=FAST)):
        await settle(redis, "projects", polls=3)
        assert await stored_events(redis) == []
        new = await control.create(
            "projects", [{**PROJECT, "name": "N1"}, {**PROJECT, "name": "N2"}]
        )
        await wait_until(lambda: _count(redis, 2), what="two created events")
        await settle(redis, "projects", polls=3)
    events = await stored_events(redis)
    assert [e["id"] for e in events] == [f"perfex:projects:{p['id']}:created" for p in new]
    assert [e["data"]["name"] for e in events] == ["N1", "N2"]


async def test_updated_and_deleted_for_a_resource_outside_the_reference(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Contracts get updated (with changes) and deleted events from their v3 list."""
    rows = [{"subject": f"C{i}", "client": "1", "datestart": "2026-11-01"} for i in range(3)]
    first, second, _ = await control.create("contracts", rows)
    settings = make_settings(control.url, redis_url, poll_resources=("contracts",))
    async with running(PollerService(settings, redis, timing=FAST)):
        await wait_until(lambda: _ready(redis, "contracts"), what="the baseline")
        await control.update("contracts", first["id"], {"subject": "Renamed"})
        await control.delete("contracts", second["id"])
        await wait_until(lambda: _count(redis, 2), what="updated and deleted")
        await settle(redis, "contracts", polls=3)
    events = {e["type"]: e for e in await stored_events(redis)}
    assert set(events) == {"perfex.contracts.updated", "perfex.contracts.deleted"}
    assert events["perfex.contracts.updated"]["changes"] == {"subject": ["C0", "Renamed"]}
    assert events["perfex.contracts.deleted"]["data"]["subject"] == "C1"


async def _ready(redis: Redis, resource: str) -> bool:
    return bool(await redis.exists(keys.SNAPSHOT_READY + resource))


async def test_reconcile_reads_fingerprint_columns_and_gets_changed_rows_only(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """A pass over 250 leads asks fields=/sort= in pages of 100 and GETs only the changed one."""
    rows = [{"name": f"L{i}", "status": "1", "source": "1"} for i in range(250)]
    leads = await control.create("leads", rows)
    settings = make_settings(control.url, redis_url)
    async with running(PollerService(settings, redis, timing=FAST)):
        await wait_until(lambda: _ready(redis, "leads"), what="the baseline")
        await settle(redis, "leads", polls=2)
        await control.calls()
        await control._call("DELETE", "/calls")
        await control.update("leads", leads[200]["id"], {"status": "3"})
        await wait_until(lambda: _count(redis, 1), what="the updated event")
        calls = await control.calls()
    lists = [c for c in calls if c["path"] == "/api/leads"]
    gets = [c for c in calls if c["path"].startswith("/api/leads/")]
    assert lists and all("status" in c["query"]["fields"].split(",") for c in lists)
    assert all(c["query"]["sort"] == "id" and c["query"]["per_page"] == "100" for c in lists)
    assert {c["path"] for c in gets} == {f"/api/leads/{leads[200]['id']}"}


async def test_older_module_plain_arrays_still_reconcile(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """An older module answers plain arrays and ignores fields=: updates are still seen."""
    await control.module(version="legacy")
    [lead] = await control.create("leads", [{"name": "Ada", "status": "1", "source": "1"}])
    async with running(PollerService(make_settings(control.url, redis_url), redis, timing=FAST)):
        await wait_until(lambda: _ready(redis, "leads"), what="the baseline")
        await control.update("leads", lead["id"], {"status": "2"})
        await wait_until(lambda: _count(redis, 1), what="the updated event")
    [event] = await stored_events(redis)
    assert event["changes"] == {"status": ["1", "2"]}


async def test_a_404_list_is_said_once_and_the_others_keep_going(
    control: Control, redis: Redis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No list of projects/invoices: one warning each, status says so, leads keep firing."""
    caplog.set_level(logging.WARNING, logger="bridge.poller.runner")
    await control.module(no_list=["projects", "invoices"])
    settings = make_settings(
        control.url, redis_url, poll_resources=("projects", "invoices", "leads")
    )
    async with running(PollerService(settings, redis, timing=FAST)):
        await settle(redis, "leads", polls=4)
        await control.create("leads", [{"name": "Ada", "status": "1", "source": "1"}])
        await wait_until(lambda: _count(redis, 1), what="the lead's event")
        await settle(redis, "invoices", polls=3)
        projects, invoices = await status(redis, "projects"), await status(redis, "invoices")
    assert projects["state"] == "unsupported" and "404" in projects["list"]
    assert invoices["state"] == "ok" and "404" in invoices["list"]  # the Zapier poll goes on
    said = [r.getMessage() for r in caplog.records if "has no list of" in r.getMessage()]
    assert len([m for m in said if m.startswith("projects")]) == 1
    assert len([m for m in said if m.startswith("invoices")]) == 1


async def test_refused_token_emits_poller_stopped(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Perfex refusing the token stops the poller and stores bridge.poller.stopped once."""
    settings = make_settings(control.url, redis_url, perfex_token="wrong-token")
    async with running(PollerService(settings, redis, timing=FAST)):
        await wait_until(lambda: _count(redis, 1, "bridge.poller.stopped"), what="stopped")
    [event] = await stored_events(redis, "bridge.poller.stopped")
    assert event["data"]["resource"] == "leads"
    assert "token" in event["data"]["error"]
    assert "wrong-token" not in str(event)


async def test_failing_longer_than_the_limit_emits_poller_stopped_once(
    control: Control, redis: Redis, redis_url: str
) -> None:
    """Perfex down longer than `stopped_after`: one bridge.poller.stopped, then recovery."""
    timing = dataclasses.replace(FAST, stopped_after=1.0)
    await control.fault({"route": "/api/*", "mode": "down"})
    async with running(PollerService(make_settings(control.url, redis_url), redis, timing=timing)):
        await wait_until(lambda: _count(redis, 1, "bridge.poller.stopped"), what="stopped")
        await settle_failures()
        await control.clear_faults()
        await settle(redis, "leads", polls=2)
    events = await stored_events(redis, "bridge.poller.stopped")
    assert len(events) == 1
    assert events[0]["data"]["resource"] == "leads" and "503" in events[0]["data"]["error"]


async def settle_failures() -> None:
    import asyncio

    await asyncio.sleep(1.0)  # several more failed polls: still one event


def test_poll_resources_accepts_every_list_resource() -> None:
    """BRIDGE_POLL_RESOURCES takes any of the eighteen resources, and names a wrong one."""
    from bridge.exceptions import ConfigError
    from bridge.settings import LIST_RESOURCES, load_settings

    assert len(LIST_RESOURCES) == 18
    settings = load_settings(_env_file=None, poll_resources=",".join(LIST_RESOURCES))
    assert settings.poll_resources == LIST_RESOURCES
    with pytest.raises(ConfigError, match=r"BRIDGE_POLL_RESOURCES.*unknown resource contacts"):
        load_settings(_env_file=None, poll_resources="leads,contacts")
