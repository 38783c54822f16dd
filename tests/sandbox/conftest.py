"""Fixtures: a sandbox served on 127.0.0.1, with clients for its API and control API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from bridge.sandbox.app import create_app
from bridge.testing.servers import serve_in_thread

TOKEN = "api-token-for-tests"
CONTROL_TOKEN = "control-token-for-tests"

Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="session")
def shared_url() -> Iterator[str]:
    """One sandbox served over real HTTP for the whole run (reset before each test)."""
    with serve_in_thread(create_app(token=TOKEN, control_token=CONTROL_TOKEN)) as url:
        yield url


@pytest.fixture
def sandbox_url(shared_url: str) -> str:
    """A fresh, unseeded sandbox (setup lists only): the shared one, reset."""
    headers = {"X-Sandbox-Token": CONTROL_TOKEN}
    response = httpx.post(shared_url + "/_sandbox/reset", headers=headers, json={})
    assert response.status_code == 200, response.text
    return shared_url


@pytest.fixture
def seeded_url(serve: Serve) -> Iterator[str]:
    """A sandbox seeded with demo records."""
    with serve(create_app(token=TOKEN, control_token=CONTROL_TOKEN, seed=True)) as url:
        yield url


@pytest.fixture
def api(sandbox_url: str) -> Iterator[httpx.Client]:
    """A client of the sandbox's /api with the right authtoken header."""
    with httpx.Client(base_url=sandbox_url + "/api", headers={"authtoken": TOKEN}) as client:
        yield client


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    """A client of the sandbox's control API with its token."""
    headers = {"X-Sandbox-Token": CONTROL_TOKEN}
    with httpx.Client(base_url=sandbox_url + "/_sandbox", headers=headers) as client:
        yield client


def make_record(control: httpx.Client, table: str, **fields: Any) -> dict[str, Any]:
    """Create a record through the control API (as a person in the Perfex UI would)."""
    response = control.post(f"/records/{table}", json=fields)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record
