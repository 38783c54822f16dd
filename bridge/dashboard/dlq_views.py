"""Dashboard pages for the dead-letter queue: list, replay one, replay all, discard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from bridge.dashboard.guard import Endpoint, View

logger = logging.getLogger("bridge.dashboard.dlq_views")


async def letter_of_run(request: Request, run_id: str) -> str | None:
    """The dead letter holding this run, if any."""
    return None


async def replay_event_now(request: Request, event_id: str) -> list[str]:
    """Replay an event; the ids of the runs it made."""
    return []


def routes(guard: Callable[[View], Endpoint], change: Callable[[View], Endpoint]) -> list[BaseRoute]:
    """Dead-letter routes."""
    return []
