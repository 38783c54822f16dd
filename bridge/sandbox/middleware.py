"""The ASGI layer in front of `/api`: call log, injected faults, then the token check.

Pure ASGI (not BaseHTTPMiddleware) so a `drop` fault can leave a response unfinished and
a `slow` fault delays without buffering.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.sandbox.faults import Fault
from bridge.sandbox.state import Sandbox

logger = logging.getLogger("bridge.sandbox.middleware")

_PHP_ERROR = (
    "<html><head><title>Error</title></head><body><h4>A PHP Error was encountered</h4>"
    "<p>Severity: Error</p><p>Message: Uncaught exception (injected by the sandbox)</p>"
    "</body></html>"
)
#: Query and form keys never written to the call log.
SECRET_KEYS = {"authtoken", "token", "password"}


def _token_ok(sandbox: Sandbox, scope: Scope) -> Response | None:
    """None when the request carries the API token; otherwise Perfex's 401 answer.

    Every endpoint reads the `authtoken` header; the zapier endpoints also take
    `Authorization: Bearer <token>` and `?authtoken=<token>`.
    """
    headers = Headers(scope=scope)
    given = headers.get("authtoken")
    if scope["path"].startswith("/api/zapier"):
        bearer = headers.get("authorization", "")
        if not given and bearer.lower().startswith("bearer "):
            given = bearer[7:].strip()
        if not given:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            given = query.get("authtoken")
    if not given:
        return JSONResponse({"status": False, "message": "Token is not defined."}, 401)
    if not hmac.compare_digest(given.encode(), sandbox.token.encode()):
        return JSONResponse({"status": False, "message": "Invalid Token"}, 401)
    return None


def _fault_response(fault: Fault) -> Response:
    if fault.mode == "down":
        return HTMLResponse("<h1>503 Service Unavailable</h1>", 503)
    if fault.mode == "rate_limit":
        return JSONResponse(
            {"status": False, "message": "Too Many Requests"},
            429,
            headers={"Retry-After": str(fault.retry_after)},
        )
    if fault.mode == "reject":
        return JSONResponse({"status": False, "message": fault.message}, fault.status)
    return HTMLResponse(_PHP_ERROR, fault.status)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


class SandboxMiddleware:
    """Logs every /api call, applies the fault for its route, and checks the token."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return
        sandbox = self.sandbox
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        entry: dict[str, Any] = {
            "time": sandbox.clock.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query": _redact(query),
            "fields": None,
            "status": None,
            "fault": None,
            #: The caller's port: calls on one kept-alive connection share it.
            "peer_port": (scope.get("client") or ("", 0))[1],
        }
        sandbox.calls.append(entry)

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        fault = sandbox.faults.take(scope["method"], scope["path"])
        if fault is not None:
            entry["fault"] = fault.mode
            if fault.mode == "slow":
                await asyncio.sleep(fault.seconds)
            elif fault.mode == "drop":
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", b"4096"),
                        ],
                    }
                )
                await send(
                    {"type": "http.response.body", "body": b'{"status": ', "more_body": True}
                )
                entry["status"] = "dropped"
                return
            else:
                await _fault_response(fault)(scope, receive, logged_send)
                return
        refused = _token_ok(sandbox, scope)
        if refused is not None:
            await refused(scope, receive, logged_send)
            return
        scope.setdefault("state", {})
        await self.app(scope, receive, logged_send)
        fields = scope["state"].get("sandbox_fields")
        if fields is not None:
            entry["fields"] = _redact(json.loads(json.dumps(fields, default=str)))
