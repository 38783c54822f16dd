"""The sandbox app: the Perfex API under `/api`, the control API under `/_sandbox`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bridge.sandbox.api import resource_routes
from bridge.sandbox.control import control_routes
from bridge.sandbox.customtable import customtable_routes
from bridge.sandbox.middleware import SandboxMiddleware
from bridge.sandbox.poll import zapier_routes
from bridge.sandbox.resources import RESOURCES
from bridge.sandbox.seed import install_demo, install_setup
from bridge.sandbox.special import special_routes
from bridge.sandbox.state import Sandbox
from bridge.sandbox.store import Store
from bridge.sandbox.webhooks import webhook_routes

logger = logging.getLogger("bridge.sandbox.app")

_CI_404 = (
    '<!DOCTYPE html><html lang="en"><head><title>404 Page Not Found</title></head>'
    '<body><div id="container"><h1>404 Page Not Found</h1>'
    "<p>The page you requested was not found.</p></div></body></html>"
)


async def page_not_found(request: Request) -> Response:
    """What CodeIgniter answers for a path no controller serves: an HTML 404 page."""
    return HTMLResponse(_CI_404, 404)


def api_routes() -> list[BaseRoute]:
    """Every /api route, the specific ones first, then a CodeIgniter-style 404."""
    routes: list[BaseRoute] = [
        *zapier_routes(),
        *webhook_routes(),
        *special_routes(),
        *customtable_routes(),
    ]
    for resource in RESOURCES.values():
        routes += resource_routes(resource)
    routes.append(Route("/{path:path}", page_not_found))
    return routes


def create_app(
    *,
    token: str,
    control_token: str | None = None,
    db_path: str | Path | None = None,
    seed: bool = False,
) -> Starlette:
    """A sandbox app. State lives in memory, or in the SQLite file `db_path` (kept as is
    when it already holds data); `seed` adds demo records to a fresh one. The control
    token defaults to the API token."""
    if not token:
        raise ValueError("the sandbox needs a non-empty API token")
    store = Store(db_path)
    sandbox = Sandbox(store=store, token=token, control_token=control_token or token)
    if store.is_empty:
        with store.batch():
            install_setup(store, sandbox.clock)
            if seed:
                install_demo(store, sandbox.clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(
        routes=[
            Mount("/api", routes=api_routes()),
            Mount("/_sandbox", routes=control_routes()),
        ],
        middleware=[Middleware(SandboxMiddleware, sandbox=sandbox)],
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
