"""Bearer-token check for the admin API: `Authorization: Bearer <BRIDGE_ADMIN_TOKEN>`.

The comparison is constant-time. With no token configured every request is refused, so a
bridge started without one never shows its data to anybody.
"""

from __future__ import annotations

import hmac
import logging

from pydantic import SecretStr
from starlette.requests import Request

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


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
