"""The web app: inbound hooks, health and metrics, plus whatever routes are added to it.

    app = create_app(settings, redis_url=url)                      # hooks, health, metrics
    app = create_app(settings, redis_url=url, routes=[             # + the admin API and
        Mount("/api", routes=admin_routes(settings)),              #   dashboard, added
        Mount("/", routes=dashboard_routes(settings)),             #   after the core routes
    ], lifespans=[open_arq_pool])                                   # + their own resources

The lifespan opens the long-lived resources and keeps them on `app.state`, where added
routes find them too:

    app.state.settings   Settings
    app.state.redis      redis.asyncio.Redis (from `bridge.connection.redis_client`)
    app.state.events     EventStore on that client
    app.state.rules      the RulesWatcher (`.current` Ruleset, `.errors`)
    app.state.push       PushReader: how `verify: perfex` hooks read the pushed records
    app.state.metrics    WebMetrics (its own CollectorRegistry)

A RulesWatcher passed in is the caller's to start and stop (it may be shared with the
router); without one the app makes its own on `settings.rules`, loads it at start and
hot-reloads it while running. Redis being down at start does not stop the app: hooks
answer 503 and /readyz says why until it is back. Each entry of `lifespans` is called
with the app and entered after the core resources are open (and left before they close).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.connection import redis_client
from bridge.events import EventStore
from bridge.push.receive import PushReader
from bridge.rules import Ruleset, RulesWatcher
from bridge.settings import Settings
from bridge.web.health import healthz, readyz
from bridge.web.hooks import hook_routes
from bridge.web.metrics import WebMetrics, metrics_endpoint

logger = logging.getLogger("bridge.web.app")

#: An extra resource for added routes: called with the app, entered in the lifespan.
Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


class RulesSource(Protocol):
    """The current rules: a RulesWatcher (whose `.errors` /readyz reports) or a fixed holder."""

    @property
    def current(self) -> Ruleset: ...


def core_routes() -> list[BaseRoute]:
    """The routes this package serves itself."""
    return [
        *hook_routes(),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (404 route, 405 method) as JSON like every other error."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _gone(request: Request, exc: Exception) -> Response:
    """A client that left (or was timed out) mid-body: no one to answer, nothing to log."""
    logger.debug("client left during %s %s", request.method, request.url.path)
    return JSONResponse({"error": "client disconnected"}, status_code=400)


async def _crash(request: Request, exc: Exception) -> Response:
    """A bug answers a JSON 500 without details; the traceback goes to the log only."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal error"}, status_code=500)


def create_app(
    settings: Settings,
    *,
    redis_url: str | None = None,
    rules: RulesSource | None = None,
    routes: Sequence[BaseRoute] = (),
    middleware: Sequence[Middleware] = (),
    lifespans: Sequence[Lifespan] = (),
) -> Starlette:
    """Build the web app. `redis_url` defaults to settings.redis_url (one must be given)."""
    url = redis_url or settings.redis_url
    if not url:
        raise ValueError("create_app needs a Redis URL (resolve the embedded one first)")
    retention = int(settings.retention_days * 24 * 3600)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            redis = redis_client(url)
            stack.push_async_callback(redis.aclose)
            app.state.redis = redis
            app.state.events = EventStore(redis, retention_seconds=retention)
            app.state.push = PushReader(settings, redis)
            stack.push_async_callback(app.state.push.aclose)
            if rules is None:
                app.state.rules = await stack.enter_async_context(RulesWatcher(settings.rules))
            else:
                app.state.rules = rules
            for extra in lifespans:
                await stack.enter_async_context(extra(app))
            logger.info("web app ready: %d hooks", len(app.state.rules.current.hooks))
            yield

    app = Starlette(
        routes=[*core_routes(), *routes],
        middleware=list(middleware),
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, ClientDisconnect: _gone, Exception: _crash},
    )
    app.state.settings = settings
    app.state.metrics = WebMetrics()
    app.state.rules = rules
    return app
