"""Dashboard login and admin API under attack: guessing is throttled, logout revokes the
session, and the cookie is Secure when a trusted TLS proxy says the request was https."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from starlette.routing import Mount

from bridge import constants
from bridge.admin.api import admin_routes
from bridge.dashboard.views import dashboard_routes
from bridge.loopback.servers import serve_in_thread
from bridge.settings import Settings
from bridge.web.app import create_app
from bridge.web.server import uvicorn_options
from tests.admin.conftest import TOKEN

Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def serve_bridge(redis_url: str, redis: Redis, rules_dir: Path) -> Serve:
    """The web app with the admin API and dashboard, served with the bridge's uvicorn options."""

    @contextmanager
    def run(forwarded: str | None = None) -> Iterator[str]:
        settings = Settings(
            admin_token=TOKEN,
            redis_url=redis_url,
            rules=rules_dir,
            forwarded_allow_ips=forwarded,
            _env_file=None,
        )
        routes = [
            Mount("/api", routes=admin_routes(settings)),
            Mount("/", routes=dashboard_routes(settings)),
        ]
        app = create_app(settings, routes=routes)
        with serve_in_thread(app, **uvicorn_options(settings)) as url:
            yield url

    return run


@pytest.fixture(autouse=True)
async def forget_failures(redis: Redis) -> AsyncIterator[None]:
    """The failure counts these tests run up are removed after each, so later tests that
    log in from 127.0.0.1 on the same Redis are not throttled."""
    yield
    async for key in redis.scan_iter(match=constants.AUTH_FAILURES + "*"):
        await redis.delete(key)


def _csrf(client: httpx.Client) -> str:
    page = client.get("/dlq").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_failed_logins_are_throttled_per_client(serve_bridge: Serve) -> None:
    """After AUTH_MAX_FAILURES wrong tokens a client gets 429 (even with the right token);
    another client (X-Forwarded-For through a trusted proxy) still logs in."""
    limit = constants.AUTH_MAX_FAILURES
    with serve_bridge(forwarded="127.0.0.1") as url:
        mallory = {"X-Forwarded-For": "203.0.113.7"}
        wrong = [
            httpx.post(url + "/login", data={"token": f"guess-{i}"}, headers=mallory)
            for i in range(limit + 5)
        ]
        right_but_blocked = httpx.post(url + "/login", data={"token": TOKEN}, headers=mallory)
        alice = httpx.post(
            url + "/login", data={"token": TOKEN}, headers={"X-Forwarded-For": "198.51.100.2"}
        )
    assert [r.status_code for r in wrong[:limit]] == [401] * limit
    assert {r.status_code for r in wrong[limit:]} == {429}
    assert right_but_blocked.status_code == 429
    assert int(right_but_blocked.headers["retry-after"]) > 0
    assert "Too many wrong tokens" in right_but_blocked.text
    assert alice.status_code == 303


def test_admin_api_bearer_failures_are_throttled(serve_bridge: Serve) -> None:
    """Wrong bearer tokens count too: past the budget the API answers 429 with Retry-After."""
    limit = constants.AUTH_MAX_FAILURES
    with serve_bridge() as url:
        codes = [
            httpx.get(
                url + "/api/events", headers={"Authorization": f"Bearer nope-{i}"}
            ).status_code
            for i in range(limit + 3)
        ]
        right = httpx.get(url + "/api/events", headers={"Authorization": f"Bearer {TOKEN}"})
    assert codes[:limit] == [401] * limit
    assert codes[limit:] == [429] * 3
    assert right.status_code == 429
    assert "retry in" in right.json()["error"]
    assert int(right.headers["retry-after"]) > 0


def test_logout_revokes_the_session(serve_bridge: Serve) -> None:
    """A cookie copied before logout no longer opens any page after it."""
    with serve_bridge() as url, httpx.Client(base_url=url) as client:
        assert client.post("/login", data={"token": TOKEN}).status_code == 303
        copied = client.cookies.get("bridge_session")
        assert copied and client.get("/events").status_code == 200
        assert client.post("/logout", data={"csrf_token": _csrf(client)}).status_code == 303
        with httpx.Client(base_url=url, cookies={"bridge_session": copied}) as thief:
            after = thief.get("/events")
            button = thief.post("/logout", data={"csrf_token": "x"})
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")
    assert button.status_code == 401


def _cookie(url: str, headers: dict[str, str]) -> str:
    response = httpx.post(url + "/login", data={"token": TOKEN}, headers=headers)
    assert response.status_code == 303
    return response.headers["set-cookie"].lower().replace("samesite", "")


def test_cookie_is_secure_behind_a_trusted_tls_proxy(serve_bridge: Serve) -> None:
    """X-Forwarded-Proto: https from a proxy in BRIDGE_FORWARDED_ALLOW_IPS makes the cookie
    Secure; plain http does not; without the setting the header is not believed."""
    https = {"X-Forwarded-Proto": "https"}
    with serve_bridge(forwarded="127.0.0.1") as url:
        assert "secure" in _cookie(url, https)
        assert "secure" not in _cookie(url, {})
    with serve_bridge() as url:
        assert "secure" not in _cookie(url, https)
