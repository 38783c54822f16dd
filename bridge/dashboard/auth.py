"""Dashboard login: a signed session cookie, a server-side session, a CSRF token.

The cookie is signed with itsdangerous under a key derived from BRIDGE_ADMIN_TOKEN, so
changing the token logs every session out. It names a session kept in Redis (shared by
`bridge web` replicas) for MAX_AGE: logout deletes it, so a copied cookie is worthless
from then on. The cookie is HttpOnly, SameSite=Lax, and Secure when the request came
over TLS (directly, or through a proxy trusted by BRIDGE_FORWARDED_ALLOW_IPS that says
`X-Forwarded-Proto: https`). Every form that changes something carries the session's
CSRF token in a hidden field, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response

from bridge import constants

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


def _session_key(session_id: str) -> str:
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    return constants.DASHBOARD_SESSION + digest


def _signed_session(request: Request, token: SecretStr | None) -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE)
    if token is None or not raw:
        return None
    try:
        data = _serializer(token).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    if not isinstance(data.get("csrf"), str) or not isinstance(data.get("sid"), str):
        return None
    return data


async def read_session(request: Request, token: SecretStr | None) -> dict[str, Any] | None:
    """The live session of this request, or None (no cookie, forged, expired, logged out).

    Raises RedisError/OSError when Redis cannot say (the caller answers 503).
    """
    data = _signed_session(request, token)
    if data is None:
        return None
    if not await _redis(request).exists(_session_key(data["sid"])):
        return None
    return data


async def start_session(request: Request, response: Response, token: SecretStr) -> None:
    """Log the browser in: a fresh server-side session with a fresh CSRF token."""
    session_id = secrets.token_urlsafe(32)
    await _redis(request).set(_session_key(session_id), "1", ex=MAX_AGE)
    value = _serializer(token).dumps({"csrf": secrets.token_urlsafe(32), "sid": session_id})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


async def end_session(request: Request, response: Response, token: SecretStr | None) -> None:
    """Log the browser out: the session is deleted server-side, the cookie cleared."""
    data = _signed_session(request, token)
    if data is not None:
        await _redis(request).delete(_session_key(data["sid"]))
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def _redis(request: Request) -> Redis:
    client: Redis = request.app.state.redis
    return client


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
