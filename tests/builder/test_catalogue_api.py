"""GET /api/catalogue, /api/samples/{event_type} and /api/builder/templates on a running bridge."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bridge.events import Event
from bridge.loopback.servers import free_port
from tests.admin.helpers import store_event
from tests.builder.catalogue_helpers import (
    auth,
    bridge_app,
    fault,
    sandbox,
    sandbox_records,
    write_rules,
)

ROUTES = ["/api/catalogue", "/api/samples/perfex.leads.created", "/api/builder/templates"]


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A rules directory with the github and shop hooks."""
    return write_rules(tmp_path / "rules")


@pytest.mark.parametrize("path", ROUTES)
def test_routes_need_the_admin_token(redis_url: str, rules: Path, path: str) -> None:
    """No token: 401; a wrong one: 401; none configured: 403; the right one: 200."""
    with bridge_app(redis_url, rules) as url:
        assert httpx.get(url + path).status_code == 401
        wrong = httpx.get(url + path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert httpx.get(url + path, headers=auth()).status_code == 200
    with bridge_app(redis_url, rules, admin_token=None) as url:
        assert httpx.get(url + path, headers=auth()).status_code == 403


def test_catalogue_lists_triggers_of_the_loaded_hooks(redis_url: str, rules: Path) -> None:
    """The catalogue has the Perfex triggers, the loaded hooks and every action."""
    with bridge_app(redis_url, rules) as url:
        first = httpx.get(url + "/api/catalogue", headers=auth())
        again = httpx.get(url + "/api/catalogue", headers=auth())
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/json")
    body = first.json()
    types = {t["type"]: t for t in body["triggers"]}
    assert types["perfex.leads.created"]["title"] == "A new lead is added in Perfex"
    assert types["webhook.shop"]["title"] == "A webhook arrives on /hooks/shop"
    assert "webhook.github.issues" in types
    names = {a["name"] for a in body["actions"]}
    assert {"perfex.tasks.create", "webhook", "delay", "for_each"} <= names
    assert again.content == first.content
    assert "never-shown" not in first.text


def test_catalogue_follows_a_rules_reload(redis_url: str, rules: Path) -> None:
    """A hook added to the rules files appears in the catalogue once the rules reload."""
    with bridge_app(redis_url, rules) as url:
        before = httpx.get(url + "/api/catalogue", headers=auth()).json()
        assert "webhook.forms" not in {t["type"] for t in before["triggers"]}
        (rules / "forms.yml").write_text(
            "hooks:\n  - name: forms\n    verify: token\n    secret: forms-token-123\n"
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            after = httpx.get(url + "/api/catalogue", headers=auth()).json()
            if "webhook.forms" in {t["type"] for t in after["triggers"]}:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the new hook never appeared in the catalogue")


async def test_sample_prefers_a_stored_event(redis_url: str, redis: Redis, rules: Path) -> None:
    """A stored event of the type is the sample, with source "stored"."""
    event = Event(
        id="perfex:leads:7:created",
        type="perfex.leads.created",
        source="perfex",
        data={"id": 7, "name": "Stored Lead"},
    )
    await store_event(redis, event)
    with bridge_app(redis_url, rules) as url:
        async with httpx.AsyncClient() as client:
            response = await client.get(url + "/api/samples/perfex.leads.created", headers=auth())
    assert response.status_code == 200
    assert response.json() == {"event": event.to_dict(), "source": "stored"}


def test_sample_from_the_real_sandbox(redis_url: str, rules: Path) -> None:
    """No stored event: the sample is a record the Perfex sandbox holds, source "perfex"."""
    with sandbox() as perfex, bridge_app(redis_url, rules, perfex_url=perfex + "/api") as url:
        response = httpx.get(url + "/api/samples/perfex.customers.created", headers=auth())
        companies = {c["company"] for c in sandbox_records(perfex, "customers")}
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "perfex"
    assert body["event"]["data"]["company"] in companies


def test_sample_when_perfex_is_down(redis_url: str, rules: Path) -> None:
    """Perfex unreachable, or answering 503: 200 with the reference's example."""
    down = f"http://127.0.0.1:{free_port()}/api"
    with bridge_app(redis_url, rules, perfex_url=down) as url:
        response = httpx.get(url + "/api/samples/perfex.tickets.created", headers=auth())
    assert response.status_code == 200
    assert response.json()["source"] == "reference"
    assert response.json()["event"]["data"]["subject"]
    with sandbox() as perfex, bridge_app(redis_url, rules, perfex_url=perfex + "/api") as url:
        fault(perfex, route="/api/*", mode="down")
        response = httpx.get(url + "/api/samples/perfex.tasks.created", headers=auth())
    assert response.status_code == 200 and response.json()["source"] == "reference"


def test_sample_without_perfex_settings(redis_url: str, rules: Path) -> None:
    """With no BRIDGE_PERFEX_URL the reference's example is the sample."""
    with bridge_app(redis_url, rules) as url:
        response = httpx.get(url + "/api/samples/perfex.invoices.paid", headers=auth())
    assert response.status_code == 200
    assert response.json()["source"] == "reference"


@pytest.mark.parametrize(
    "event_type",
    ["perfex.leads.exploded", "webhook.nope", "perfex.*.created", "a" * 500, "bad%20type"],
)
def test_unknown_sample_type_is_404(redis_url: str, rules: Path, event_type: str) -> None:
    """A type the bridge cannot produce is 404 with a JSON error pointing at the catalogue."""
    with bridge_app(redis_url, rules) as url:
        response = httpx.get(url + "/api/samples/" + event_type, headers=auth())
    assert response.status_code == 404
    assert "/api/catalogue" in response.json()["error"] or "too long" in response.json()["error"]
    assert len(response.text) < 1000


def test_templates_route_lists_the_gallery(redis_url: str, rules: Path) -> None:
    """The gallery answers every template with its rule, hooks and needs."""
    with bridge_app(redis_url, rules) as url:
        response = httpx.get(url + "/api/builder/templates", headers=auth())
    assert response.status_code == 200
    items = response.json()["templates"]
    ids = {t["id"] for t in items}
    assert {"new-customer-welcome-task", "payment-thank-you", "form-to-lead"} <= ids
    for item in items:
        assert set(item) >= {"id", "title", "description", "rule", "hooks", "needs"}


def test_sample_for_a_hook_being_created(redis_url: str, rules: Path) -> None:
    """?verify=<scheme> gives a new hook's sample; an unknown scheme is 404."""
    with bridge_app(redis_url, rules) as url:
        ok = httpx.get(url + "/api/samples/webhook.newhub?verify=github", headers=auth())
        bad = httpx.get(url + "/api/samples/webhook.newhub?verify=nope", headers=auth())
    assert ok.status_code == 200 and ok.json()["event"]["data"]["issue"]
    assert bad.status_code == 404


def test_catalogue_etag_lets_the_browser_reuse_it(redis_url: str, rules: Path) -> None:
    """The catalogue carries an ETag; sending it back gets 304 with no body until rules change."""
    with bridge_app(redis_url, rules) as url:
        first = httpx.get(url + "/api/catalogue", headers=auth())
        etag = first.headers["etag"]
        cached = httpx.get(url + "/api/catalogue", headers={**auth(), "If-None-Match": etag})
        other = httpx.get(url + "/api/catalogue", headers={**auth(), "If-None-Match": '"x"'})
        refused = httpx.get(url + "/api/catalogue", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert other.status_code == 200 and other.content == first.content
    assert refused.status_code == 401
