"""Dashboard login: a signed session cookie and a per-session CSRF token.

The cookie is signed with itsdangerous under a key derived from BRIDGE_ADMIN_TOKEN, so
`bridge web` replicas need no shared session store, and changing the token logs every
session out. It is HttpOnly, SameSite=Lax, and Secure when the page is served over
https. Every form that changes something carries the session's CSRF token in a hidden
field, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

logger = logging.getLogger("bridge.dashboard.auth")

COOKIE = "bridge_session"
#: How long a login lasts (seconds): 12 hours.
MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"


def _serializer(token: SecretStr) -> URLSafeTimedSerializer:
    key = hmac.new(
        token.get_secret_value().encode(), b"bridge dashboard session v1", hashlib.sha256
    ).hexdigest()
    return URLSafeTimedSerializer(key, salt="bridge.dashboard.session")


def read_session(request: Request, token: SecretStr | None) -> dict[str, Any] | None:
    """The signed session of this request, or None (no cookie, forged, expired, no token)."""
    raw = request.cookies.get(COOKIE)
    if token is None or not raw:
        return None
    try:
        data = _serializer(token).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    return data


def start_session(request: Request, response: Response, token: SecretStr) -> None:
    """Log the browser in: a fresh session with a fresh CSRF token."""
    value = _serializer(token).dumps({"csrf": secrets.token_urlsafe(32)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    """Log the browser out."""
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def csrf_ok(session: dict[str, Any], submitted: Any) -> bool:
    """Whether a submitted form carries this session's CSRF token (constant-time)."""
    if not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), str(session["csrf"]).encode())


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, //x) becomes /."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
