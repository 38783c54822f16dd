"""`bridge up`: web + worker + poller in one process, the single-machine default.

The three parts share one event loop, one Redis (the embedded Valkey unless
BRIDGE_REDIS_URL is set) and one rules watcher, so a changed rules file is reloaded once
for all of them. Without BRIDGE_PERFEX_URL the poller is left out with a warning: inbound
webhooks and outbound steps still work. SIGTERM/SIGINT stop all three: the web server
stops accepting, the poller releases its locks, the worker finishes or hands back its jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from bridge.connection import redis_client, redis_server
from bridge.rules import RulesWatcher
from bridge.settings import Settings
from bridge.web.app import create_app
from bridge.web.server import EmbeddedServer, build_server, default_routes
from workers.worker import run_worker_async

logger = logging.getLogger("bridge.up")


async def _poll(settings: Settings, url: str, backfill: float | None, stop: asyncio.Event) -> None:
    from bridge.poller.service import PollerService

    redis = redis_client(url)
    try:
        await PollerService(settings, redis, backfill=backfill).run(stop)
    finally:
        await redis.aclose()


async def _web(settings: Settings, url: str, rules: RulesWatcher, stop: asyncio.Event) -> None:
    app = create_app(settings, redis_url=url, rules=rules, routes=default_routes(settings))
    server = build_server(app, settings, EmbeddedServer)
    serving = asyncio.create_task(server.serve(), name="web")
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, waiting], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    waiting.cancel()
    await serving
    if not server.started:
        raise SystemExit(f"bridge up: could not listen on {settings.host}:{settings.port}")


async def serve(
    settings: Settings,
    url: str,
    backfill: float | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the three parts on Redis at `url` until SIGTERM/SIGINT or `stop` is set."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with RulesWatcher(settings.rules) as rules:
        for problem in rules.errors:
            logger.error("rules: %s", problem)
        parts: list[Coroutine[Any, Any, None]] = [
            _web(settings, url, rules, stop),
            run_worker_async(settings, url, stop, rules=rules),
        ]
        if settings.perfex_url and settings.perfex_token:
            parts.append(_poll(settings, url, backfill, stop))
        else:
            logger.warning(
                "poller off: set BRIDGE_PERFEX_URL and BRIDGE_PERFEX_TOKEN to poll Perfex"
            )
        tasks = [asyncio.create_task(part) for part in parts]
        logger.info("bridge up on http://%s:%d", settings.host, settings.port)
        try:
            # The first part to end (a stop, or a crash) ends them all.
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    raise error
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def run_up(settings: Settings, backfill: float | None = None) -> int:
    """Run web, worker and poller until SIGTERM/SIGINT; 0 on a clean stop."""
    with redis_server(settings) as url:
        asyncio.run(serve(settings, url, backfill))
    return 0
