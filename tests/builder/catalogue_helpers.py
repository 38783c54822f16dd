"""Real servers for the catalogue, sample and gallery tests: the sandbox and the bridge's app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.routing import Mount

from bridge.admin.api import admin_routes
from bridge.loopback.servers import serve_in_thread
from bridge.sandbox.app import create_app as create_sandbox
from bridge.settings import Settings
from bridge.web.app import create_app

ADMIN_TOKEN = "admin-token-for-builder-tests-0123"
PERFEX_TOKEN = "perfex-token-for-builder-tests"
CONTROL_TOKEN = "control-token-for-builder-tests"

RULES_YAML = """
hooks:
  - name: github
    verify: github
    secret: gh-secret-never-shown
    event: "{{ headers['x-github-event'] }}"
  - name: shop
    verify: token
    secret: shop-token-never-shown
rules:
  - name: order-note
    on: webhook.shop
    do:
      - webhook: {url: "https://example.com/orders"}
"""


def write_rules(folder: Path) -> Path:
    """A rules directory with two hooks (github with sub-types, shop) and one rule."""
    folder.mkdir(exist_ok=True)
    (folder / "main.yml").write_text(RULES_YAML)
    return folder


@contextmanager
def sandbox(seed: bool = True) -> Iterator[str]:
    """A Perfex sandbox on 127.0.0.1; yields its base URL (the API is below /api)."""
    app = create_sandbox(token=PERFEX_TOKEN, control_token=CONTROL_TOKEN, seed=seed)
    with serve_in_thread(app) as url:
        yield url


def fault(sandbox_url: str, **spec: Any) -> None:
    """Inject a sandbox fault (see bridge.sandbox.faults)."""
    response = httpx.post(
        sandbox_url + "/_sandbox/faults", json=spec, headers={"X-Sandbox-Token": CONTROL_TOKEN}
    )
    assert response.status_code in (200, 201), response.text


def sandbox_records(sandbox_url: str, table: str) -> list[dict[str, Any]]:
    """Every record of a sandbox table, as stored."""
    response = httpx.get(
        f"{sandbox_url}/_sandbox/records/{table}", headers={"X-Sandbox-Token": CONTROL_TOKEN}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)


@contextmanager
def bridge_app(
    redis_url: str,
    rules: Path,
    *,
    perfex_url: str | None = None,
    admin_token: str | None = ADMIN_TOKEN,
) -> Iterator[str]:
    """The bridge's web app with the admin API, served on 127.0.0.1; yields its URL."""
    settings = Settings(
        admin_token=admin_token,
        redis_url=redis_url,
        rules=rules,
        perfex_url=perfex_url,
        perfex_token=PERFEX_TOKEN if perfex_url else None,
        _env_file=None,
    )
    app = create_app(settings, routes=[Mount("/api", routes=admin_routes(settings))])
    with serve_in_thread(app) as url:
        yield url


def auth() -> dict[str, str]:
    """The admin API's bearer header."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
