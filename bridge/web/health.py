"""GET /healthz (liveness, no I/O) and GET /readyz (can this replica do its job?).

Ready means: Redis answers PING within a second, the rules loaded without errors, and no
poller is stuck in `unauthorized` (a revoked Perfex token stops every resource until a
person fixes it). /readyz answers 200 or 503 with the detail of every check.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse

from bridge import constants, embedded_valkey

logger = logging.getLogger("bridge.web.health")

PING_TIMEOUT = 1.0


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and serving, and nothing it needs is gone for good (no I/O)."""
    broken = embedded_valkey.unrecoverable()  # restarts of its own Valkey exhausted
    if broken is not None:
        return JSONResponse({"status": "failing", "detail": broken}, status_code=503)
    return JSONResponse({"status": "ok"})


async def _check_redis(redis: Redis) -> dict[str, Any]:
    try:
        await asyncio.wait_for(redis.ping(), PING_TIMEOUT)
    except (RedisError, OSError, TimeoutError) as exc:
        return {
            "ok": False,
            "blocking": True,
            "detail": f"Redis unreachable ({type(exc).__name__})",
        }
    return {"ok": True}


def _check_rules(watcher: Any) -> dict[str, Any]:
    if watcher is None:
        return {"ok": False, "blocking": True, "detail": "rules are not loaded"}
    errors = [str(error) for error in (getattr(watcher, "errors", None) or [])]
    if errors:
        loaded = getattr(watcher, "generation", 0) > 0
        detail = (
            "the rules have errors; the last good rules stay loaded"
            if loaded
            else "the rules have errors; none are loaded"
        )
        return {"ok": False, "blocking": not loaded, "detail": detail, "errors": errors}
    return {"ok": True}


async def _check_pollers(redis: Redis) -> dict[str, Any]:
    stuck: list[str] = []
    try:
        async with asyncio.timeout(PING_TIMEOUT):
            pattern = constants.POLLER_STATUS + "*"
            async for key in redis.scan_iter(match=pattern, count=100):
                state = await redis.hget(key, "state")  # type: ignore[misc]
                if state in (b"unauthorized", "unauthorized"):
                    name = key.decode() if isinstance(key, bytes) else str(key)
                    stuck.append(name.removeprefix(constants.POLLER_STATUS))
    except (RedisError, OSError, TimeoutError) as exc:
        return {"ok": False, "detail": f"poller status unreadable ({type(exc).__name__})"}
    if stuck:
        return {
            "ok": False,
            "detail": "Perfex refused the API token (check BRIDGE_PERFEX_TOKEN)",
            "unauthorized": sorted(stuck),
        }
    return {"ok": True}


async def readyz(request: Request) -> JSONResponse:
    """Ready, degraded (200) or not ready (503), with every check's detail."""
    state = request.app.state
    checks: dict[str, dict[str, Any]] = {"redis": await _check_redis(state.redis)}
    checks["rules"] = _check_rules(getattr(state, "rules", None))
    if checks["redis"]["ok"]:
        checks["pollers"] = await _check_pollers(state.redis)
    failing = [name for name, check in checks.items() if not check["ok"]]
    blocked = any(check.get("blocking") for check in checks.values())
    status = "not ready" if blocked else "degraded" if failing else "ready"
    if failing:
        logger.info("%s: %s", status, ", ".join(failing))
    return JSONResponse({"status": status, "checks": checks}, status_code=503 if blocked else 200)
