"""Sample events for the field picker: stored first, then Perfex, then the reference."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.builder import samples
from bridge.builder.samples import MAX_RECORD_BYTES, sample_event
from bridge.events import Event
from bridge.exceptions import StoreUnavailable, UnknownEventType
from bridge.loopback.servers import free_port, serve_in_thread
from bridge.perfex.client import PerfexClient
from bridge.rules.loader import Source, load_sources
from bridge.rules.model import Ruleset
from tests.admin.helpers import store_event
from tests.builder.catalogue_helpers import (
    PERFEX_TOKEN,
    RULES_YAML,
    fault,
    sandbox,
    sandbox_records,
)


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    """A seeded Perfex sandbox."""
    with sandbox(seed=True) as url:
        yield url


@pytest.fixture
async def perfex(sandbox_url: str) -> AsyncIterator[PerfexClient]:
    """A Perfex client of the sandbox."""
    async with PerfexClient(sandbox_url + "/api", PERFEX_TOKEN, timeout=5) as client:
        yield client


def _ruleset() -> Ruleset:
    return load_sources([Source("main.yml", RULES_YAML)], environ={})


def _lead(lead_id: int, name: str, at: float) -> Event:
    return Event(
        id=f"perfex:leads:{lead_id}:created",
        type="perfex.leads.created",
        source="perfex",
        data={"id": lead_id, "name": name},
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
    )


async def test_newest_stored_event_comes_first(redis: Redis, perfex: PerfexClient) -> None:
    """With events of the type stored, the newest is the sample, even when Perfex has records."""
    now = time.time()
    await store_event(redis, _lead(1, "Older", now - 60), at=now - 60)
    await store_event(redis, _lead(2, "Newest", now - 5), at=now - 5)
    await store_event(
        redis,
        Event(id="x", type="perfex.tasks.created", source="perfex", data={"id": 9}),
        at=now,
    )
    sample = await sample_event("perfex.leads.created", redis=redis, perfex=perfex)
    assert sample["source"] == "stored"
    assert sample["event"]["data"] == {"id": 2, "name": "Newest"}
    assert "stored_at" not in sample["event"]


async def test_polled_resource_is_read_from_perfex(
    redis: Redis, perfex: PerfexClient, sandbox_url: str
) -> None:
    """No stored lead: the sample is Perfex's own recent lead (zapier/test)."""
    sample = await sample_event("perfex.leads.created", redis=redis, perfex=perfex)
    assert sample["source"] == "perfex"
    names = {lead["name"] for lead in sandbox_records(sandbox_url, "leads")}
    assert sample["event"]["data"]["name"] in names
    assert sample["event"]["type"] == "perfex.leads.created"


async def test_other_resources_are_read_from_the_list_endpoint(
    redis: Redis, perfex: PerfexClient, sandbox_url: str
) -> None:
    """A resource outside the Zapier five (projects) comes from its list endpoint."""
    sample = await sample_event("perfex.projects.updated", redis=redis, perfex=perfex)
    assert sample["source"] == "perfex"
    assert sample["event"]["data"]["name"] == "Website relaunch"
    assert "status" in sample["event"]["changes"]


async def test_push_events_use_the_resource_record(redis: Redis, perfex: PerfexClient) -> None:
    """A push-only type (invoices.paid) gets an invoice record from Perfex."""
    sample = await sample_event("perfex.invoices.paid", redis=redis, perfex=perfex)
    assert sample["source"] == "perfex"
    assert "total" in sample["event"]["data"]


async def test_perfex_down_falls_back_to_the_reference(redis: Redis) -> None:
    """Nothing listening where Perfex should be: the reference's example, never an error."""
    url = f"http://127.0.0.1:{free_port()}/api"
    async with PerfexClient(url, PERFEX_TOKEN, timeout=2) as client:
        sample = await sample_event("perfex.leads.created", redis=redis, perfex=client)
    assert sample["source"] == "reference"
    assert sample["event"]["data"]["name"]  # the reference's example lead
    assert sample["event"]["type"] == "perfex.leads.created"


async def test_perfex_errors_fall_back_to_the_reference(
    redis: Redis, perfex: PerfexClient, sandbox_url: str
) -> None:
    """A 503 from Perfex, or a refused token, gives the reference's example."""
    fault(sandbox_url, route="/api/*", mode="down")
    sample = await sample_event("perfex.tasks.created", redis=redis, perfex=perfex)
    assert sample["source"] == "reference"
    async with PerfexClient(sandbox_url + "/api", "wrong-token", timeout=2) as wrong:
        sample = await sample_event("perfex.customers.created", redis=redis, perfex=wrong)
    assert sample["source"] == "reference"


async def test_slow_perfex_is_bounded_in_time(
    redis: Redis, perfex: PerfexClient, sandbox_url: str
) -> None:
    """A Perfex slower than the wait gives the reference's example once the wait is over."""
    fault(sandbox_url, route="/api/*", mode="slow", seconds=3)
    started = time.monotonic()
    sample = await sample_event("perfex.leads.created", redis=redis, perfex=perfex, perfex_wait=0.3)
    assert sample["source"] == "reference"
    assert time.monotonic() - started < 2.5


async def test_oversized_record_is_not_used(redis: Redis) -> None:
    """A record larger than the bound is not shown: the reference's example is."""

    async def huge(request: Request) -> JSONResponse:
        return JSONResponse({"status": True, "data": {"id": 1, "blob": "x" * MAX_RECORD_BYTES}})

    app = Starlette(routes=[Route("/api/zapier/test/{resource}", huge)])
    with serve_in_thread(app) as url:
        async with PerfexClient(url + "/api", PERFEX_TOKEN, timeout=5) as client:
            sample = await sample_event("perfex.leads.created", redis=redis, perfex=client)
    assert sample["source"] == "reference"


async def test_no_perfex_configured_gives_the_reference(redis: Redis) -> None:
    """Without a Perfex client every type still has a sample."""
    for kind in ("perfex.tickets.reply_created", "bridge.run.dead_lettered"):
        sample = await sample_event(kind, redis=redis, perfex=None)
        assert sample["source"] == "reference"
        assert sample["event"]["type"] == kind and sample["event"]["data"]
    dead = await sample_event("bridge.run.dead_lettered", redis=redis, perfex=None)
    assert set(dead["event"]["data"]) == {"run_id", "rule", "event_id", "event_type", "error"}


async def test_webhook_samples_follow_the_hook_scheme(redis: Redis) -> None:
    """A GitHub hook's sample looks like GitHub's body for that sub-type."""
    sample = await sample_event(
        "webhook.github.issues", redis=redis, perfex=None, ruleset=_ruleset()
    )
    assert sample["source"] == "reference"
    assert sample["event"]["data"]["issue"]["title"]
    assert sample["event"]["source"] == "webhook" and "headers" in sample["event"]


async def test_stored_webhook_event_is_used(redis: Redis) -> None:
    """A stored webhook event of the type is the sample, headers included."""
    event = Event(
        id="webhook:shop:1",
        type="webhook.shop",
        source="webhook",
        data={"order": 7},
        headers={"content-type": "application/json"},
    )
    await store_event(redis, event)
    sample = await sample_event("webhook.shop", redis=redis, perfex=None, ruleset=_ruleset())
    assert sample == {"event": event.to_dict(), "source": "stored"}


@pytest.mark.parametrize(
    "event_type",
    [
        "perfex.leads.exploded",
        "webhook.unknown",
        "perfex.*.created",
        "x" * 300,
        "perfex.leads.created\n",
        "../../etc/passwd",
        "",
    ],
)
async def test_unknown_or_hostile_types_are_refused(redis: Redis, event_type: str) -> None:
    """A type the bridge cannot produce (or a hostile one) raises UnknownEventType."""
    with pytest.raises(UnknownEventType):
        await sample_event(event_type, redis=redis, perfex=None, ruleset=_ruleset())


async def test_a_hook_being_created_gets_its_senders_sample(redis: Redis) -> None:
    """`verify=` stands for a hook not saved yet: webhook.<new> gets that sender's body."""
    sample = await sample_event("webhook.billing", redis=redis, perfex=None, verify="stripe")
    assert sample["source"] == "reference"
    assert sample["event"]["data"]["type"] == "invoice.paid"
    with pytest.raises(UnknownEventType):
        await sample_event("webhook.billing", redis=redis, perfex=None, verify="rot13")
    with pytest.raises(UnknownEventType):
        await sample_event("webhook.bad name", redis=redis, perfex=None, verify="stripe")
    with pytest.raises(UnknownEventType):
        await sample_event("webhook.billing", redis=redis, perfex=None)


async def test_schedule_sample_for_a_rule_being_built(redis: Redis) -> None:
    """The bare `schedule` type (a scheduled rule not saved yet) has a sample tick."""
    sample = await sample_event("schedule", redis=redis, perfex=None)
    assert set(sample["event"]["data"]) == {"scheduled_for", "rule"}


async def test_store_down_is_store_unavailable() -> None:
    """An unreachable Redis is StoreUnavailable (the admin guard answers 503), not a crash."""
    client: Redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(StoreUnavailable):
            await sample_event("perfex.leads.created", redis=client, perfex=None)
    finally:
        await client.aclose()


async def test_stored_scan_is_bounded(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the newest SCAN_CAP stored events are looked through for one of the type."""
    now = time.time()
    await store_event(redis, _lead(1, "Old", now - 100), at=now - 100)
    for n in range(3):
        other = Event(id=f"t{n}", type="perfex.tasks.created", source="perfex", data={"id": n})
        await store_event(redis, other, at=now - n)
    monkeypatch.setattr(samples, "_BATCH", 2)
    monkeypatch.setattr(samples, "SCAN_CAP", 2)
    sample = await sample_event("perfex.leads.created", redis=redis, perfex=None)
    assert sample["source"] == "reference"
    monkeypatch.setattr(samples, "SCAN_CAP", 4)
    sample = await sample_event("perfex.leads.created", redis=redis, perfex=None)
    assert sample["source"] == "stored"
