"""Where the admin API and the dashboard find the web app's long-lived resources.

The web app's lifespan keeps them on `app.state` (a Redis client, the EventStore, the
rules watcher); these accessors are the one place that knows the attribute names.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from starlette.requests import Request

from bridge.events import EventStore
from bridge.executor.history import RunStore
from bridge.rules import RulesWatcher
from bridge.settings import Settings

logger = logging.getLogger("bridge.admin.state")


def redis_of(request: Request) -> Redis:
    """The app's Redis client."""
    client: Redis = request.app.state.redis
    return client


def events_of(request: Request) -> EventStore:
    """The app's EventStore (one is made on the app's Redis when the app keeps none)."""
    store: EventStore | None = getattr(request.app.state, "events", None)
    if store is None:
        store = EventStore(redis_of(request))
        request.app.state.events = store
    return store


def rules_watcher_of(request: Request) -> RulesWatcher | None:
    """The rules watcher (`.current` Ruleset, `.errors`), or None when rules are not loaded."""
    watcher: RulesWatcher | None = getattr(request.app.state, "rules", None)
    return watcher


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def run_store_of(request: Request) -> RunStore:
    """The executor's RunStore on the app's Redis (for replays and the dead-letter queue)."""
    retention = int(settings_of(request).retention_days * 86400)
    return RunStore(redis_of(request), retention)
