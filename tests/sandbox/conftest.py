"""Fixtures: a sandbox served on 127.0.0.1, with clients for its API and control API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from bridge.loopback.servers import serve_in_thread
from bridge.sandbox.app import create_app

TOKEN = "api-token-for-tests"
CONTROL_TOKEN = "control-token-for-tests"

Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="session")
def shared_url() -> Iterator[str]:
    """One sandbox served over real HTTP for the whole run (reset before each test)."""
    with serve_in_thread(create_app(token=TOKEN, control_token=CONTROL_TOKEN)) as url:
        yield url


@pytest.fixture(scope="session")
def _clients(shared_url: str) -> Iterator[dict[str, httpx.Client]]:
    """Long-lived clients of the shared sandbox (creating one costs an SSL context)."""
    control_headers = {"X-Sandbox-Token": CONTROL_TOKEN}
    with (
        httpx.Client(base_url=shared_url + "/api", headers={"authtoken": TOKEN}) as api,
        httpx.Client(base_url=shared_url + "/_sandbox", headers=control_headers) as control,
        httpx.Client() as raw,
    ):
        yield {"api": api, "control": control, "raw": raw}


@pytest.fixture
def sandbox_url(shared_url: str, _clients: dict[str, httpx.Client]) -> str:
    """A fresh, unseeded sandbox (setup lists only): the shared one, reset."""
    response = _clients["control"].post("/reset", json={})
    assert response.status_code == 200, response.text
    return shared_url


@pytest.fixture
def seeded_url(serve: Serve) -> Iterator[str]:
    """A sandbox seeded with demo records."""
    with serve(create_app(token=TOKEN, control_token=CONTROL_TOKEN, seed=True)) as url:
        yield url


@pytest.fixture
def api(sandbox_url: str, _clients: dict[str, httpx.Client]) -> httpx.Client:
    """A client of the sandbox's /api with the right authtoken header."""
    return _clients["api"]


@pytest.fixture
def control(sandbox_url: str, _clients: dict[str, httpx.Client]) -> httpx.Client:
    """A client of the sandbox's control API with its token."""
    return _clients["control"]


@pytest.fixture
def raw(sandbox_url: str, _clients: dict[str, httpx.Client]) -> httpx.Client:
    """A client without any token, for full URLs of the (reset) shared sandbox."""
    return _clients["raw"]


def make_record(control: httpx.Client, table: str, **fields: Any) -> dict[str, Any]:
    """Create a record through the control API (as a person in the Perfex UI would)."""
    response = control.post(f"/records/{table}", json=fields)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record
