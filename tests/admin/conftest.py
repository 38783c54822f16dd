"""Fixtures for the admin API and dashboard tests: the real web app on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from starlette.routing import Mount

from bridge.admin.api import admin_routes
from bridge.dashboard.views import dashboard_routes
from bridge.settings import Settings
from bridge.web.app import create_app

TOKEN = "admin-token-for-tests-0123456789"
HOOK_SECRET = "hook-secret-never-shown-42"

RULES_YAML = f"""
hooks:
  - name: shop
    verify: token
    secret: "{HOOK_SECRET}"
    description: Orders from the web shop
  - name: open
    verify: none

rules:
  - name: lead-to-chat
    on: perfex.leads.*
    if: "event.data.status == 'new'"
    do:
      - id: note
        webhook:
          url: https://chat.example.com/hook
          body: {{text: "New lead {{{{ event.data.name }}}}"}}
          secret: "{HOOK_SECRET}"
        retry: {{attempts: 3}}
  - name: order-task
    on: webhook.shop
    do:
      - perfex.tasks.create:
          name: "Order {{{{ event.data.id }}}}"
          startdate: "2026-01-01"
          rel_type: project
          rel_id: 3
"""

ServeApp = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A rules directory with two hooks and two rules."""
    path = tmp_path / "rules"
    path.mkdir()
    (path / "main.yaml").write_text(RULES_YAML)
    return path


@pytest.fixture
def serve_app(redis_url: str, rules_dir: Path) -> ServeApp:
    """Serve the bridge's web app with the admin API and dashboard: `with serve_app() as url`.

    The test database is flushed first, as the `redis` fixture does, so what an earlier test
    stored cannot show up in this one's answers."""
    from redis import Redis as SyncRedis

    from bridge.loopback.servers import serve_in_thread

    with SyncRedis.from_url(redis_url) as client:
        client.flushdb()

    @contextmanager
    def run(token: str | None = TOKEN, rules: Path | None = None) -> Iterator[str]:
        settings = Settings(
            admin_token=token, redis_url=redis_url, rules=rules or rules_dir, _env_file=None
        )
        app = create_app(
            settings,
            routes=[
                Mount("/api", routes=admin_routes(settings)),
                Mount("/", routes=dashboard_routes(settings)),
            ],
        )
        with serve_in_thread(app) as url:
            yield url

    return run
