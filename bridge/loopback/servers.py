"""Run an ASGI app on 127.0.0.1 in a background thread, the way httpx tests its client.

Used by tests, benchmarks and the demo: real HTTP over loopback, no transport mocks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from bridge.embedded_valkey import free_port

__all__ = ["free_port", "serve_in_thread"]


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """Signals belong to the main thread; a background server installs none."""


@contextmanager
def serve_in_thread(
    app: Any, *, host: str = "127.0.0.1", port: int | None = None, **config: Any
) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread; yields its base URL, stops it on exit."""
    port = port or free_port(host)
    server = _ThreadServer(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", **config)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"test server on {host}:{port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
