"""The dashboard's gate over plain HTTP: no token, no session, no CSRF token, cookie flags."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from redis.asyncio import Redis

from bridge.executor import dlq
from tests.admin.conftest import HOOK_SECRET, TOKEN, ServeApp
from tests.admin.helpers import lead, make_run, store_event

PAGES = ["/", "/runs", "/runs/x", "/dlq", "/events", "/events/x", "/rules", "/login"]
LETTER = "perfex:leads:1:created:lead-to-chat"


@contextmanager
def _logged_in(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url) as client:
        response = client.post("/login", data={"token": TOKEN})
        assert response.status_code == 303
        yield client


def _csrf(client: httpx.Client) -> str:
    page = client.get("/dlq").text
    marker = 'name="csrf_token" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("path", PAGES)
def test_without_admin_token_every_page_refuses(serve_app: ServeApp, path: str) -> None:
    """With BRIDGE_ADMIN_TOKEN unset, every page says it must be set and shows no data."""
    with serve_app(token=None) as url:
        response = httpx.get(url + path)
        posted = httpx.post(url + "/login", data={"token": ""})
    assert response.status_code == 403
    assert "BRIDGE_ADMIN_TOKEN must be set" in response.text
    assert "lead-to-chat" not in response.text
    assert posted.status_code == 403


async def test_unauthenticated_requests_get_no_data(redis: Redis, serve_app: ServeApp) -> None:
    """Without a session pages redirect to login, fragments and buttons get 401, no data."""
    event = await store_event(redis, lead(1))
    await make_run(redis, event, "lead-to-chat", "failed", error="boom", dead_letter=True)
    with serve_app() as url:
        async with httpx.AsyncClient(base_url=url) as client:
            page = await client.get("/runs")
            fragment = await client.get("/runs", headers={"X-Bridge-Fragment": "1"})
            button = await client.post(f"/dlq/{LETTER}/replay", data={"csrf_token": "x"})
            forged = await client.get(
                "/runs", headers={"Cookie": "bridge_session=eyJjc3JmIjoieCJ9.x.y"}
            )
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fruns"
    assert fragment.status_code == 401
    assert button.status_code == 401
    assert forged.status_code == 303
    for response in (page, fragment, button, forged):
        assert "lead-to-chat" not in response.text
    assert await dlq.count(redis) == 1


def test_login_cookie_flags_and_wrong_token(serve_app: ServeApp) -> None:
    """A wrong token is refused; the cookie is HttpOnly, SameSite=Lax, not Secure on http."""
    with serve_app() as url:
        wrong = httpx.post(url + "/login", data={"token": "nope"})
        right = httpx.post(url + "/login?next=//evil.example/x", data={"token": TOKEN})
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    assert "set-cookie" not in wrong.headers
    assert right.headers["location"] == "/"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie.replace("samesite", "")


async def test_buttons_need_the_csrf_token(redis: Redis, serve_app: ServeApp) -> None:
    """Replay and logout without (or with a wrong) CSRF token are refused; with it they work."""
    event = await store_event(redis, lead(1))
    await make_run(redis, event, "lead-to-chat", "failed", error="boom", dead_letter=True)
    with serve_app() as url, _logged_in(url) as client:
        missing = client.post(f"/dlq/{LETTER}/replay")
        wrong = client.post(f"/dlq/{LETTER}/replay", data={"csrf_token": "guess"})
        assert await dlq.count(redis) == 1
        token = _csrf(client)
        replayed = client.post(f"/dlq/{LETTER}/replay", data={"csrf_token": token})
        gone = client.post(f"/dlq/{LETTER}/replay", data={"csrf_token": token})
        logout = client.post("/logout")
        still_in = client.get("/dlq")
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    assert wrong.status_code == 403
    assert replayed.status_code == 303
    assert replayed.headers["location"] == f"/runs/{LETTER}?done=replayed"
    assert gone.status_code == 404
    assert logout.status_code == 403
    assert still_in.status_code == 200
    assert await dlq.count(redis) == 0


async def test_pages_render_for_a_logged_in_user(redis: Redis, serve_app: ServeApp) -> None:
    """Every page renders; hook URLs show, secrets never; unknown ids are 404 pages."""
    event = await store_event(redis, lead(1))
    await make_run(
        redis, event, "lead-to-chat", "failed", error="HTTP 400 from chat", dead_letter=True
    )
    with serve_app() as url, _logged_in(url) as client:
        pages = {path: client.get(path) for path in ["/", "/runs", "/dlq", "/events", "/rules"]}
        detail = client.get(f"/runs/{LETTER}")
        event_page = client.get(f"/events/{event.id}")
        fragment = client.get("/", headers={"X-Bridge-Fragment": "1"})
        unknown = client.get("/runs/nope")
        token = _csrf(client)
        discarded = client.post(f"/dlq/{LETTER}/discard", data={"csrf_token": token})
        logout = client.post("/logout", data={"csrf_token": token})
        after = client.get("/")
    for response in [*pages.values(), detail, event_page, fragment]:
        assert response.status_code == 200
        assert HOOK_SECRET not in response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]
    assert url + "/hooks/shop" in pages["/rules"].text
    assert "HTTP 400 from chat" in pages["/dlq"].text
    assert "HTTP 400 from chat" in detail.text
    assert "Lead 1" in event_page.text
    assert "<html" not in fragment.text
    assert unknown.status_code == 404
    assert discarded.status_code == 303
    assert await dlq.count(redis) == 0
    assert logout.status_code == 303
    assert after.status_code == 303
