"""JSON answers of the admin API and the guard every endpoint goes through.

`guarded(token)` wraps an endpoint: it refuses a request without the admin token, turns
a bad query into 400 and an unreachable Redis into 503, each as `{"error": "..."}`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from pydantic import SecretStr
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.admin.auth import WRONG, check_access
from bridge.admin.paging import BadQuery
from bridge.admin.throttle import blocked_for, record_failure
from bridge.exceptions import StoreUnavailable

logger = logging.getLogger("bridge.admin.responses")

Endpoint = Callable[[Request], Awaitable[Response]]


class NotFound(LookupError):
    """An id the bridge does not know (or no longer keeps); answered with 404."""


class Unavailable(RuntimeError):
    """A part the request needs is not running (e.g. no rules loaded); answered with 503."""


def json_error(status: int, message: str, **extra: Any) -> JSONResponse:
    """`{"error": message}` with the given status."""
    headers = {"WWW-Authenticate": 'Bearer realm="bridge"'} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def guarded(token: SecretStr | None) -> Callable[[Endpoint], Endpoint]:
    """Decorate an endpoint: admin token required, errors answered as JSON."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def run(request: Request) -> Response:
            if token is not None:
                throttled = await _throttled(request)
                if throttled is not None:
                    return throttled
            refused = await check_access(request, token)
            if refused is not None:
                if refused[1] == WRONG:
                    await _count_failure(request)
                return json_error(*refused)
            try:
                return await endpoint(request)
            except BadQuery as exc:
                return json_error(400, str(exc))
            except NotFound as exc:
                return json_error(404, str(exc))
            except Unavailable as exc:
                return json_error(503, str(exc))
            except (StoreUnavailable, RedisError, OSError) as exc:
                logger.error("admin API: store unavailable: %s", exc)
                return json_error(503, "the Redis store is unavailable; try again shortly")

        return run

    return decorate


async def _throttled(request: Request) -> Response | None:
    """429 (or 503 without Redis) for a client past its failed-token budget, else None."""
    try:
        wait = await blocked_for(request.app.state.redis, request)
    except (RedisError, OSError) as exc:
        logger.error("admin API: store unavailable: %s", exc)
        return json_error(503, "the Redis store is unavailable; try again shortly")
    if wait is None:
        return None
    return JSONResponse(
        {"error": f"too many failed admin-token attempts; retry in {wait} s"},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


async def _count_failure(request: Request) -> None:
    try:
        await record_failure(request.app.state.redis, request)
    except (RedisError, OSError) as exc:
        logger.error("admin API: could not count a failed token: %s", exc)
