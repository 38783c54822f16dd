"""Bearer-token check for the admin API: `Authorization: Bearer <BRIDGE_ADMIN_TOKEN>`.

The comparison is constant-time. With no token configured every request is refused, so a
bridge started without one never shows its data to anybody.
"""

from __future__ import annotations

import hmac
import logging

from pydantic import SecretStr
from starlette.requests import Request

from bridge.dashboard.auth import COOKIE, csrf_ok, read_session

logger = logging.getLogger("bridge.admin.auth")

NOT_CONFIGURED = (
    "the admin API is disabled: set BRIDGE_ADMIN_TOKEN to a long random value "
    "and send it as 'Authorization: Bearer <token>'"
)
MISSING = "missing credentials: send 'Authorization: Bearer <BRIDGE_ADMIN_TOKEN>'"
WRONG = "invalid admin token"


def token_matches(given: str, expected: SecretStr | None) -> bool:
    """Whether `given` is the admin token, compared in constant time; False when unset."""
    if expected is None or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def check_bearer(request: Request, expected: SecretStr | None) -> tuple[int, str] | None:
    """None when the request carries the admin token, else (status, message) to refuse it."""
    if expected is None:
        return 403, NOT_CONFIGURED
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return 401, MISSING
    if not token_matches(value.strip(), expected):
        logger.warning("admin API: refused a wrong token from %s", _client(request))
        return 401, WRONG
    return None


CSRF_HEADER = "x-csrf-token"
NO_CSRF = "a dashboard session must send its CSRF token in the X-CSRF-Token header"
BAD_SESSION = "the dashboard session is not valid (expired or logged out): log in again"


async def check_access(request: Request, expected: SecretStr | None) -> tuple[int, str] | None:
    """Like `check_bearer`, but a logged-in dashboard (the builder) may call the API too:
    its session cookie plus the session's CSRF token in `X-CSRF-Token`. A cookie alone is
    refused, so another site cannot make a browser call the API. Sets `request.state.who`."""
    if expected is None:
        return 403, NOT_CONFIGURED
    if "authorization" in request.headers or COOKIE not in request.cookies:
        refused = check_bearer(request, expected)
        if refused is None:
            request.state.who = "admin token"
        return refused
    session = await read_session(request, expected)
    if session is None:
        return 401, BAD_SESSION
    if not csrf_ok(session, request.headers.get(CSRF_HEADER)):
        logger.warning(
            "admin API: refused a session without its CSRF token from %s", _client(request)
        )
        return 403, NO_CSRF
    request.state.who = "dashboard session"
    return None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
