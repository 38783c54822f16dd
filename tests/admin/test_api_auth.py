"""The admin API's bearer token: refused without it, and everything refused without one set."""

from __future__ import annotations

import httpx
import pytest

from tests.admin.conftest import TOKEN, ServeApp

ROUTES = [
    ("GET", "/api/events"),
    ("GET", "/api/events/x"),
    ("POST", "/api/events/x/replay"),
    ("GET", "/api/runs"),
    ("GET", "/api/runs/x"),
    ("GET", "/api/dlq"),
    ("POST", "/api/dlq/replay"),
    ("POST", "/api/dlq/x/replay"),
    ("DELETE", "/api/dlq/x"),
    ("GET", "/api/rules"),
    ("GET", "/api/hooks"),
    ("GET", "/api/pollers"),
    ("GET", "/api/overview"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_token_configured_refuses_every_route(
    serve_app: ServeApp, method: str, path: str
) -> None:
    """Without BRIDGE_ADMIN_TOKEN every route answers 403 naming the setting, whatever is sent."""
    with serve_app(token=None) as url:
        response = httpx.request(method, url + path, headers={"Authorization": "Bearer x"})
    assert response.status_code == 403
    assert "BRIDGE_ADMIN_TOKEN" in response.json()["error"]


def test_missing_wrong_and_right_token(serve_app: ServeApp) -> None:
    """No header or a wrong token gets 401 with a message; the right token gets the data."""
    with serve_app() as url:
        missing = httpx.get(url + "/api/events")
        wrong = httpx.get(url + "/api/events", headers={"Authorization": "Bearer nope"})
        basic = httpx.get(url + "/api/events", headers={"Authorization": "Basic " + TOKEN})
        right = httpx.get(url + "/api/events", headers={"Authorization": "Bearer " + TOKEN})
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["error"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid admin token"}
    assert basic.status_code == 401
    assert right.status_code == 200
    assert right.json() == {"items": [], "next_cursor": None}


def test_unknown_api_route_is_json_404(serve_app: ServeApp) -> None:
    """An unknown /api/ path is a JSON 404, not the dashboard's HTML."""
    with serve_app() as url:
        response = httpx.get(url + "/api/nothing", headers={"Authorization": "Bearer " + TOKEN})
    assert response.status_code == 404
    assert "no admin API route" in response.json()["error"]


def test_session_cookie_does_not_open_the_api(serve_app: ServeApp) -> None:
    """A dashboard session cookie alone is not enough for the API: without its CSRF token in
    X-CSRF-Token (which another site cannot read) it is refused."""
    with serve_app() as url, httpx.Client(base_url=url) as client:
        client.post("/login", data={"token": TOKEN})
        assert client.cookies.get("bridge_session")
        response = client.get("/api/events")
    assert response.status_code == 403
