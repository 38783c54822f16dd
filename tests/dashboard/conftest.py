"""Fixtures for the dashboard tests: the web app, a real worker in a thread, a receiver, and
Debian's Chromium for the browser tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from redis import Redis as SyncRedis
from starlette.routing import Mount

from bridge.admin.api import admin_routes
from bridge.dashboard.views import dashboard_routes
from bridge.loopback.receiver import create_receiver
from bridge.loopback.servers import serve_in_thread
from bridge.settings import Settings
from bridge.web.app import create_app
from tests.admin.conftest import HOOK_SECRET, TOKEN, rules_dir, serve_app
from workers.worker import run_worker_async

__all__ = ["rules_dir", "serve_app"]  # the admin tests' fixtures, shared

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


ORDER_RULES = """
hooks:
  - name: shop
    verify: token
    secret: "{secret}"
rules:
  - name: notify-chat
    on: webhook.shop
    do:
      - webhook:
          url: "{receiver}/orders"
          body: {{text: "Order {{{{ event.data.id }}}} received"}}
"""


@contextmanager
def worker_in_thread(settings: Settings, redis_url: str) -> Iterator[None]:
    """The bridge's worker (router + arq executor) on its own event loop in a thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, asyncio.Event] = {}

    async def main() -> None:
        holder["stop"] = asyncio.Event()
        ready.set()
        await run_worker_async(settings, redis_url, holder["stop"], completion_wait=2)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(20)
        loop.close()


@pytest.fixture
def receiver() -> Iterator[str]:
    """A webhook receiver on 127.0.0.1 that records deliveries and fails on command."""
    with serve_in_thread(create_receiver()) as url:
        yield url


@pytest.fixture
def bridge_with_worker(redis_url: str, receiver: str, tmp_path: Path) -> Iterator[str]:
    """The web app and a real worker on rules that post each shop order to the receiver."""
    SyncRedis.from_url(redis_url).flushdb()
    rules = tmp_path / "order-rules"
    rules.mkdir()
    (rules / "orders.yaml").write_text(ORDER_RULES.format(secret=HOOK_SECRET, receiver=receiver))
    settings = Settings(
        admin_token=TOKEN,
        redis_url=redis_url,
        rules=rules,
        allow_private_targets=True,
        _env_file=None,
    )
    app = create_app(
        settings,
        routes=[
            Mount("/api", routes=admin_routes(settings)),
            Mount("/", routes=dashboard_routes(settings)),
        ],
    )
    with worker_in_thread(settings, redis_url), serve_in_thread(app) as url:
        yield url
