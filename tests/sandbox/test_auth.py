"""Tokens: the API refuses a wrong or missing one; the control API needs its own."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from bridge.sandbox.app import create_app
from tests.sandbox.conftest import CONTROL_TOKEN, TOKEN


def test_missing_token_is_401(sandbox_url: str, raw: httpx.Client) -> None:
    """No authtoken: 401 Token is not defined."""
    response = raw.get(sandbox_url + "/api/customers")
    assert response.status_code == 401
    assert response.json() == {"status": False, "message": "Token is not defined."}


def test_wrong_token_is_401(sandbox_url: str, raw: httpx.Client) -> None:
    """A wrong authtoken: 401 Invalid Token, on the API and on poll in every form."""
    wrong = "not-the-token"
    assert raw.get(sandbox_url + "/api/leads", headers={"authtoken": wrong}).json() == {
        "status": False,
        "message": "Invalid Token",
    }
    poll = sandbox_url + "/api/zapier/poll/leads"
    assert raw.get(poll, headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert raw.get(poll, params={"authtoken": wrong}).status_code == 401
    assert raw.get(poll).status_code == 401


def test_bearer_only_opens_zapier(sandbox_url: str, raw: httpx.Client) -> None:
    """Outside the zapier endpoints only the authtoken header counts."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert raw.get(sandbox_url + "/api/leads", headers=headers).status_code == 401
    assert raw.get(sandbox_url + "/api/leads", params={"authtoken": TOKEN}).status_code == 401


def test_control_api_refuses_without_its_token(sandbox_url: str, raw: httpx.Client) -> None:
    """The control API answers 401 without X-Sandbox-Token, or with the API token."""
    for headers in ({}, {"X-Sandbox-Token": TOKEN}, {"authtoken": CONTROL_TOKEN}):
        response = raw.get(sandbox_url + "/_sandbox/calls", headers=headers)
        assert response.status_code == 401
        assert "X-Sandbox-Token" in response.json()["error"]
    refused = raw.post(sandbox_url + "/_sandbox/reset", json={})
    assert refused.status_code == 401


def test_control_token_defaults_to_the_api_token(
    serve: Callable[..., AbstractContextManager[str]],
) -> None:
    """Without a control token the API token opens the control API."""
    with serve(create_app(token="only-token")) as url:
        ok = httpx.get(url + "/_sandbox/clock", headers={"X-Sandbox-Token": "only-token"})
        assert ok.status_code == 200
        assert httpx.get(url + "/_sandbox/clock").status_code == 401


def test_empty_token_is_refused_at_build() -> None:
    """A sandbox cannot be built without an API token."""
    import pytest

    with pytest.raises(ValueError, match="token"):
        create_app(token="")
