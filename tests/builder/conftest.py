"""Fixtures for the builder's rules API tests: a rules directory with a hand-written shared
file, and the real web app (admin API + dashboard, its own RulesWatcher) on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis as SyncRedis
from starlette.routing import Mount

from bridge.admin.api import admin_routes
from bridge.dashboard.views import dashboard_routes
from bridge.settings import Settings
from bridge.web.app import create_app

TOKEN = "builder-api-admin-token-0123456789"
SHOP_TOKEN = "shop-token-never-shown-77"

SHARED = """\
# Hand-written rules shared by the sales team.
# Keep these comments!

hooks:
  - name: shop
    verify: token
    secret: ${SHOP_TOKEN}      # set in the environment

rules:
  # Tell the channel about leads.
  - name: lead-to-chat
    on: perfex.leads.created
    if: event.data.status | string == '2'   # only "Contacted"
    do:
      - webhook:
          url: https://chat.example.com/hook   # the sales channel
          body: {text: "New lead {{ event.data.name }}"}

  - name: order-task
    on: webhook.shop
    do:
      - perfex.tasks.create:
          name: "Order {{ event.data.id }}"
          startdate: "2026-01-01"   # fixed start
          rel_type: project
          rel_id: 3
"""

Api = Callable[..., AbstractContextManager[httpx.Client]]


@pytest.fixture
def rules_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rules directory holding `shared.yml` (two rules, a hook, comments)."""
    monkeypatch.setenv("SHOP_TOKEN", SHOP_TOKEN)
    root = tmp_path / "rules"
    root.mkdir()
    (root / "shared.yml").write_text(SHARED, encoding="utf-8")
    return root


@pytest.fixture
def serve_bridge(redis_url: str, rules_root: Path) -> Callable[..., AbstractContextManager[str]]:
    """`with serve_bridge(rules=path) as url`: the web app with the admin API and dashboard,
    on a flushed database."""
    from bridge.loopback.servers import serve_in_thread

    with SyncRedis.from_url(redis_url) as client:
        client.flushdb()

    @contextmanager
    def run(rules: Path | None = None, **extra: Any) -> Iterator[str]:
        settings = Settings(
            admin_token=TOKEN,
            redis_url=redis_url,
            rules=rules or rules_root,
            _env_file=None,
            **extra,
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


@pytest.fixture
def api(serve_bridge: Callable[..., AbstractContextManager[str]]) -> Api:
    """`with api() as client`: an httpx client on /api with the admin bearer token."""

    @contextmanager
    def run(rules: Path | None = None, **extra: Any) -> Iterator[httpx.Client]:
        with (
            serve_bridge(rules, **extra) as url,
            httpx.Client(
                base_url=url + "/api", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
            ) as client,
        ):
            yield client

    return run


def login(client: httpx.Client) -> str:
    """Log a client in to the dashboard; the session's CSRF token (from its logout form)."""
    assert client.post("/login", data={"token": TOKEN}).status_code == 303
    page = client.get("/").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.fixture
def immutable_rules(rules_root: Path) -> Iterator[Path]:
    """A copy of the rules directory nobody may create files in, even root (chattr +i)."""
    import shutil
    import subprocess

    root = rules_root.parent / "read-only-rules"
    shutil.copytree(rules_root, root)
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(root)], check=False).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield root
    finally:
        subprocess.run([chattr, "-i", str(root)], check=False)
