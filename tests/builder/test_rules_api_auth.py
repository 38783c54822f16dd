"""Who may call the rules API: the admin bearer token, or a dashboard session with its CSRF
token in X-CSRF-Token; a session cookie alone (what another site could make a browser send)
is refused, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builder.conftest import SHARED, login

Serve = Callable[..., AbstractContextManager[str]]
RULE = {
    "name": "call-lead",
    "on": "perfex.leads.created",
    "do": [{"webhook": {"url": "https://x.example", "body": {"n": "{{ event.data.name }}"}}}],
}


def test_session_with_csrf_header_may_write(serve_bridge: Serve, rules_root: Path) -> None:
    """Cookie + X-CSRF-Token: the builder's calls work, and the audit log says who."""
    with serve_bridge() as url, httpx.Client(base_url=url) as client:
        csrf = login(client)
        headers = {"X-CSRF-Token": csrf}
        created = client.post("/api/rules", json={"rule": RULE}, headers=headers)
        read = client.get("/api/rules/call-lead", headers=headers)
        audit = client.get("/api/rules/audit", headers=headers).json()["items"]
    assert created.status_code == 201, created.text
    assert read.status_code == 200
    assert audit[0]["who"].startswith("dashboard session")
    assert (rules_root / "call-lead.yml").exists()


@pytest.mark.parametrize("csrf", [None, "", "wrong-token-0123456789", "x" * 5000])
def test_session_without_its_csrf_token_is_refused(
    serve_bridge: Serve, rules_root: Path, csrf: str | None
) -> None:
    """Cookie with no, an empty, a wrong or a huge X-CSRF-Token: 403 for reads and writes."""
    with serve_bridge() as url, httpx.Client(base_url=url) as client:
        login(client)
        headers = {} if csrf is None else {"X-CSRF-Token": csrf}
        created = client.post("/api/rules", json={"rule": RULE}, headers=headers)
        deleted = client.delete("/api/rules/lead-to-chat", headers=headers)
        read = client.get("/api/rules/lead-to-chat", headers=headers)
    for response in (created, deleted, read):
        assert response.status_code == 403
        assert "X-CSRF-Token" in response.json()["error"]
    assert sorted(p.name for p in rules_root.iterdir()) == ["shared.yml"]
    assert (rules_root / "shared.yml").read_text() == SHARED


def test_forged_or_foreign_session_is_refused(serve_bridge: Serve, rules_root: Path) -> None:
    """A cookie not signed by this bridge's token is 401 even with a matching-looking header."""
    with serve_bridge() as url:
        response = httpx.post(
            url + "/api/rules",
            json={"rule": RULE},
            cookies={"bridge_session": "eyJjc3JmIjoieCJ9.forged.sig"},
            headers={"X-CSRF-Token": "x"},
        )
    assert response.status_code == 401
    assert not (rules_root / "call-lead.yml").exists()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}],
    ids=["none", "wrong-bearer", "basic"],
)
def test_without_credentials_every_builder_route_is_401(
    serve_bridge: Serve, rules_root: Path, headers: dict[str, str]
) -> None:
    """No or wrong credentials: 401 on each builder route, nothing written or revealed."""
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/api/rules/test", {"rule": RULE}),
        ("POST", "/api/rules", {"rule": RULE}),
        ("GET", "/api/rules/lead-to-chat", None),
        ("PUT", "/api/rules/lead-to-chat", {"rule": RULE, "version": "x"}),
        ("DELETE", "/api/rules/lead-to-chat", None),
        ("POST", "/api/rules/lead-to-chat/enabled", {"enabled": False}),
        ("GET", "/api/rules/audit", None),
        ("POST", "/api/builder/conditions", {"rows": []}),
        ("GET", "/api/builder/secrets?names=SHOP_TOKEN", None),
    ]
    with serve_bridge() as url, httpx.Client(base_url=url, headers=headers) as client:
        for method, path, body in calls:
            response = client.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
            assert "lead-to-chat" not in response.text
    assert sorted(p.name for p in rules_root.iterdir()) == ["shared.yml"]
    assert (rules_root / "shared.yml").read_text() == SHARED


def test_bearer_wins_over_a_cookie(serve_bridge: Serve) -> None:
    """With an Authorization header the bearer token decides, whatever cookie comes along."""
    with serve_bridge() as url, httpx.Client(base_url=url) as client:
        login(client)
        wrong = client.get("/api/rules/lead-to-chat", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
