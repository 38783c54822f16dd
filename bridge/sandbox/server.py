"""`bridge sandbox`: serve the Perfex API sandbox with uvicorn (blocking)."""

from __future__ import annotations

import logging

import uvicorn

from bridge.sandbox.app import create_app

logger = logging.getLogger("bridge.sandbox.server")


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    db_path: str | None = None,
    seed: bool = False,
    token: str = "sandbox-token",  # noqa: S107 - the documented default of a local test server
    control_token: str | None = None,
) -> None:
    """Serve the sandbox until interrupted: the Perfex API at /api, control at /_sandbox."""
    app = create_app(token=token, control_token=control_token, db_path=db_path, seed=seed)
    logger.info("Perfex sandbox on http://%s:%s/api (state: %s)", host, port, db_path or "memory")
    uvicorn.run(app, host=host, port=port, log_level="info")
