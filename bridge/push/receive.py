"""The answer to a delivery at a `verify: perfex` hook, once its signature is verified.

202 `{"event_id"}` stored; 200 `{"event_id", "duplicate": true}` when the poller (or an
earlier delivery) already stored that change; 400 a body that is not a delivery; 503
with Retry-After when the record cannot be fetched (Perfex down, or the shared Perfex
limit did not admit the GET in time: `admit`) or the store is down, so the module
delivers again. Without `BRIDGE_PERFEX_URL` (or its token) nothing is fetched: the event
is what the push carried.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.responses import JSONResponse

from bridge.events import EventStore
from bridge.exceptions import PerfexBusy, StoreUnavailable
from bridge.perfex.client import PerfexClient
from bridge.push.admit import FETCH_TIMEOUT, AdmittedSource, push_limiter
from bridge.push.ingest import BadDelivery, FetchFailed, ingest
from bridge.settings import Settings

logger = logging.getLogger("bridge.push.receive")

#: Seconds a module is asked to wait before delivering again.
RETRY_AFTER = "30"


def _error(status: int, message: str, retry: bool = False) -> JSONResponse:
    headers = {"Retry-After": RETRY_AFTER} if retry else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class PushReader:
    """How the web reads the records pushes name: one pooled Perfex client behind the shared
    Perfex limit, for the process's lifetime (a client per push paid a new connection, and
    over HTTPS a TLS handshake, for every delivery); `source` is None without Perfex."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self._client: PerfexClient | None = None
        self.source: AdmittedSource | None = None
        if settings.perfex_url and settings.perfex_token is not None:
            token = settings.perfex_token.get_secret_value()
            self._client = PerfexClient(settings.perfex_url, token, timeout=FETCH_TIMEOUT)
            self.source = AdmittedSource(self._client, push_limiter(settings, redis))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


async def receive_push(
    reader: PushReader, redis: Redis, store: EventStore, hook_name: str, body: Any, raw: bytes
) -> tuple[JSONResponse, str]:
    """(response, metrics outcome) for one verified, parsed delivery."""
    try:
        outcome = await ingest(redis, store, reader.source, body, raw)
    except BadDelivery as exc:
        return _error(400, str(exc)), "bad_body"
    except FetchFailed as exc:
        logger.warning("hook %s: %s; answered 503 so Perfex delivers again", hook_name, exc)
        message = "could not fetch the record from Perfex, retry later"
        if isinstance(exc.__cause__, PerfexBusy):
            message = "Perfex is busy (the bridge's shared Perfex limit), retry later"
        return _error(503, message, True), "unavailable"
    except (StoreUnavailable, RedisError, OSError):  # the limit and the state live in Redis
        logger.warning("hook %s: event store unavailable, answered 503", hook_name)
        return _error(503, "event store unavailable, retry later", True), "unavailable"
    if outcome.duplicate:
        return JSONResponse({"event_id": outcome.event_id, "duplicate": True}), "duplicate"
    return JSONResponse({"event_id": outcome.event_id}, status_code=202), "accepted"
