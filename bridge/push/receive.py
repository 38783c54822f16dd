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


async def receive_push(
    settings: Settings, redis: Redis, store: EventStore, hook_name: str, body: Any, raw: bytes
) -> tuple[JSONResponse, str]:
    """(response, metrics outcome) for one verified, parsed delivery."""
    client = None
    if settings.perfex_url and settings.perfex_token is not None:
        client = PerfexClient(
            settings.perfex_url, settings.perfex_token.get_secret_value(), timeout=FETCH_TIMEOUT
        )
    source = None if client is None else AdmittedSource(client, push_limiter(settings, redis))
    try:
        outcome = await ingest(redis, store, source, body, raw)
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
    finally:
        if client is not None:
            await client.aclose()
    if outcome.duplicate:
        return JSONResponse({"event_id": outcome.event_id, "duplicate": True}), "duplicate"
    return JSONResponse({"event_id": outcome.event_id}, status_code=202), "accepted"
