"""`bridge web`: the web app under uvicorn, blocking until it is stopped.

Redis comes from `bridge.connection.redis_server(settings)` (BRIDGE_REDIS_URL, or the
embedded Valkey of BRIDGE_DATA_DIR). Without explicit `routes`, the admin API (/api) and
the dashboard (/) are mounted after the core routes when those packages are installed.

uvicorn's access log keeps paths but never query strings: `?token=<secret>` is how the
`token` scheme lets some senders authenticate, and that must not reach a log file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from bridge.connection import redis_server
from bridge.settings import Settings
from bridge.web.app import Lifespan, create_app
from bridge.web.protocol import limits_of, protocol_class

logger = logging.getLogger("bridge.web.server")


class RedactQuery(logging.Filter):
    """Drops the query string from uvicorn access-log lines (it may carry a token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            if sep:
                record.args = (*args[:2], path + "?[redacted]", *args[3:])
        return True


def default_routes(settings: Settings) -> list[BaseRoute]:
    """The admin API at /api and the dashboard at /, when their packages are present."""
    routes: list[BaseRoute] = []
    try:
        from bridge.admin.api import admin_routes

        routes.append(Mount("/api", routes=admin_routes(settings)))
    except ImportError as exc:
        logger.warning("admin API not mounted: %s", exc)
    try:
        from bridge.dashboard.views import dashboard_routes

        routes.append(Mount("/", routes=dashboard_routes(settings)))
    except ImportError as exc:
        logger.warning("dashboard not mounted: %s", exc)
    return routes


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside a loop that handles its own signals (`bridge up`, the demo)."""

    def install_signal_handlers(self) -> None:
        """The caller handles SIGTERM/SIGINT for every part it runs."""


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options the bridge's settings decide: connection limits (431, 408, the
    connection cap; bridge.web.protocol) and which proxies' X-Forwarded-* are believed."""
    forwarded = settings.forwarded_allow_ips
    return {
        "http": protocol_class(limits_of(settings)),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "proxy_headers": bool(forwarded),
        "forwarded_allow_ips": forwarded or None,
    }


def build_server(
    app: Starlette, settings: Settings, server_class: type[uvicorn.Server] = uvicorn.Server
) -> uvicorn.Server:
    """A uvicorn server for the bridge's app, its access log kept free of query strings."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        server_header=False,
        lifespan="on",
        **uvicorn_options(settings),
    )
    server = server_class(config)
    config.load()  # configures uvicorn's loggers, so the filter is added after it
    logging.getLogger("uvicorn.access").addFilter(RedactQuery())
    return server


def run_web(
    settings: Settings,
    *,
    routes: Sequence[BaseRoute] | None = None,
    lifespans: Sequence[Lifespan] = (),
) -> int:
    """Serve on settings.host:settings.port until SIGINT/SIGTERM; the exit status."""
    extra = default_routes(settings) if routes is None else list(routes)
    with redis_server(settings) as url:
        app = create_app(settings, redis_url=url, routes=extra, lifespans=lifespans)
        server = build_server(app, settings)
        logger.info("bridge web on http://%s:%d", settings.host, settings.port)
        try:
            server.run()
        except SystemExit as exc:  # uvicorn exits this way when it cannot bind
            return exc.code if isinstance(exc.code, int) else 1
    return 0 if server.started else 1
