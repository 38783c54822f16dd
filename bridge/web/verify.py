"""Verification schemes for inbound webhooks, each in its sender's own header format.

Every function takes plain values (secret, raw body, header values, now) and either
returns or raises `VerificationError` with a message a sender can act on and that never
contains the secret or the expected signature. Every comparison of a secret or a digest
is constant-time (`hmac.compare_digest` over bytes: header values may hold non-ASCII
characters, which `compare_digest` refuses as `str`).

`verify_hook` dispatches on a rules `Hook`'s `verify:` scheme.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Protocol

from bridge.exceptions import VerificationError
from bridge.push.signature import HEADER as PERFEX_HEADER
from bridge.push.signature import verify_perfex

logger = logging.getLogger("bridge.web.verify")

_ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "sha512": hashlib.sha512}
#: The schemes that read the query string (`?token=`); the others are given none, so a
#: request's query is not parsed for nothing.
QUERY_SCHEMES = frozenset({"token"})
#: Longest signature header considered; anything longer is refused before any work.
_MAX_HEADER = 8192


class SecretLike(Protocol):
    """pydantic's SecretStr, as the rules engine holds a hook's secret."""

    def get_secret_value(self) -> str: ...


class HookLike(Protocol):
    """The verification fields of a rules `Hook` (bridge.rules.model.Hook)."""

    @property
    def name(self) -> str: ...
    @property
    def verify(self) -> str: ...
    @property
    def secret(self) -> SecretLike | None: ...
    @property
    def username(self) -> str | None: ...
    @property
    def header(self) -> str | None: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def encoding(self) -> str: ...
    @property
    def prefix(self) -> str: ...
    @property
    def tolerance(self) -> int: ...


def secret_text(hook: HookLike) -> str:
    """The hook's secret as text, or "" when it has none."""
    return hook.secret.get_secret_value() if hook.secret is not None else ""


def _same(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time equality of two strings or byte strings."""
    left = a.encode("utf-8", "surrogatepass") if isinstance(a, str) else a
    right = b.encode("utf-8", "surrogatepass") if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


def _decode_digest(text: str, encoding: str) -> bytes | None:
    """A received digest as bytes (hex of any case, base64 with or without padding)."""
    text = text.strip()
    try:
        if encoding == "base64":
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        return bytes.fromhex(text)
    except (ValueError, binascii.Error):
        return None


def _required(value: str | None, name: str) -> str:
    if not value:
        raise VerificationError(f"missing {name} header")
    if len(value) > _MAX_HEADER:
        raise VerificationError(f"{name} header is too long")
    return value


def _check_time(raw: str, tolerance: int, now: float, name: str) -> int:
    """The signed timestamp as an int, refused when malformed or outside the tolerance."""
    try:
        stamp = int(raw.strip())
    except ValueError:
        raise VerificationError(f"{name} is not a Unix timestamp") from None
    if abs(now - stamp) > tolerance:
        raise VerificationError(
            f"{name} is outside the {tolerance} s tolerance (stale or replayed request)"
        )
    return stamp


def _need_secret(secret: str) -> None:
    if not secret:
        logger.error("a hook needs a secret for its verification scheme and has none")
        raise VerificationError("this hook is not configured to accept requests")


def verify_github(secret: str, body: bytes, signature: str | None) -> None:
    """GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`."""
    _need_secret(secret)
    value = _required(signature, "X-Hub-Signature-256")
    if not value.startswith("sha256="):
        raise VerificationError("X-Hub-Signature-256 must start with sha256=")
    verify_hmac(
        secret,
        body,
        value,
        algorithm="sha256",
        encoding="hex",
        prefix="sha256=",
        header="X-Hub-Signature-256",
    )


def verify_hmac(
    secret: str,
    body: bytes,
    value: str | None,
    *,
    algorithm: str = "sha256",
    encoding: str = "hex",
    prefix: str = "",
    header: str = "the signature",
) -> None:
    """A generic HMAC of the raw body in one header, optionally prefixed (`sha256=`)."""
    _need_secret(secret)
    text = _required(value, header)
    if prefix:
        if not text.startswith(prefix):
            raise VerificationError(f"{header} header must start with {prefix!r}")
        text = text[len(prefix) :]
    received = _decode_digest(text, encoding)
    expected = hmac.new(secret.encode(), body, _ALGORITHMS[algorithm]).digest()
    if received is None or not _same(expected, received):
        raise VerificationError(f"{header} does not match the body")


def verify_stripe(
    secret: str, body: bytes, header: str | None, *, tolerance: int, now: float
) -> None:
    """Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]` over `{t}.{body}`.

    The key is the whole `whsec_...` string as UTF-8 (not base64-decoded).
    """
    _need_secret(secret)
    value = _required(header, "Stripe-Signature")
    stamp: str | None = None
    candidates: list[str] = []
    for item in value.split(","):
        key, _, val = item.strip().partition("=")
        if key == "t":
            stamp = val
        elif key == "v1":
            candidates.append(val)
    if stamp is None:
        raise VerificationError("Stripe-Signature has no t= timestamp")
    if not candidates:
        raise VerificationError("Stripe-Signature has no v1= signature")
    _check_time(stamp, tolerance, now, "Stripe-Signature timestamp")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).digest()
    matched = False
    for candidate in candidates:
        received = _decode_digest(candidate, "hex")
        matched |= received is not None and _same(expected, received)
    if not matched:
        raise VerificationError("Stripe-Signature does not match the body")


def verify_slack(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    tolerance: int,
    now: float,
) -> None:
    """Slack: `X-Slack-Signature: v0=<hex>` over `v0:{X-Slack-Request-Timestamp}:{body}`."""
    _need_secret(secret)
    value = _required(signature, "X-Slack-Signature")
    stamp = _required(timestamp, "X-Slack-Request-Timestamp")
    if not value.startswith("v0="):
        raise VerificationError("X-Slack-Signature must start with v0=")
    _check_time(stamp, tolerance, now, "X-Slack-Request-Timestamp")
    base = b"v0:" + stamp.strip().encode() + b":" + body
    expected = hmac.new(secret.encode(), base, hashlib.sha256).digest()
    received = _decode_digest(value[3:], "hex")
    if received is None or not _same(expected, received):
        raise VerificationError("X-Slack-Signature does not match the body")


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after an optional `whsec_`."""
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (ValueError, binascii.Error):
        logger.error("a standard hook's secret is not whsec_ + base64; refusing requests")
        raise VerificationError("this hook is not configured to accept requests") from None


def verify_standard(
    secret: str, body: bytes, headers: Mapping[str, str], *, tolerance: int, now: float
) -> None:
    """Standard Webhooks: `webhook-signature: v1,<b64> [v1,<b64> ...]` over `{id}.{ts}.{body}`.

    Checked here rather than through `standardwebhooks.Webhook.verify`, which fixes the
    tolerance at 5 minutes, needs a UTF-8 body and raises odd errors on malformed input;
    the tests sign with that library to prove the two agree.
    """
    _need_secret(secret)
    msg_id = _required(headers.get("webhook-id"), "webhook-id")
    stamp = _required(headers.get("webhook-timestamp"), "webhook-timestamp")
    value = _required(headers.get("webhook-signature"), "webhook-signature")
    _check_time(stamp, tolerance, now, "webhook-timestamp")
    key = standard_key(secret)
    signed = f"{msg_id}.{stamp.strip()}.".encode("utf-8", "surrogatepass") + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    matched = False
    for entry in value.split():
        version, _, sig = entry.partition(",")
        if version != "v1":
            continue
        received = _decode_digest(sig, "base64")
        matched |= received is not None and _same(expected, received)
    if not matched:
        raise VerificationError("webhook-signature does not match the body")


def verify_token(secret: str, authorization: str | None, query_token: str | None) -> None:
    """`Authorization: Bearer <secret>`, or `?token=<secret>` for senders that cannot set one."""
    _need_secret(secret)
    offered: str | None = None
    if authorization:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            offered = credentials.strip()
    if offered is None:
        offered = query_token
    if offered is None:
        raise VerificationError("missing token: send Authorization: Bearer <token>")
    if not _same(offered, secret):
        raise VerificationError("token does not match")


def verify_basic(username: str, secret: str, authorization: str | None) -> None:
    """`Authorization: Basic base64(username:secret)`; both parts compared in constant time."""
    _need_secret(secret)
    if not authorization:
        raise VerificationError("missing Authorization: Basic credentials")
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise VerificationError("Authorization must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise VerificationError("Authorization: Basic credentials are malformed") from None
    user, sep, password = decoded.partition(":")
    user_ok = _same(user, username)
    password_ok = _same(password, secret)
    if not (sep and user_ok and password_ok):
        raise VerificationError("username or password does not match")


def verify_hook(
    hook: HookLike,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    now: float,
) -> None:
    """Verify a request against a hook's scheme; `headers` keyed by lower-cased name."""
    secret = secret_text(hook)
    scheme = hook.verify
    if scheme == "none":
        return
    if scheme == "github":
        verify_github(secret, body, headers.get("x-hub-signature-256"))
    elif scheme == "stripe":
        verify_stripe(
            secret, body, headers.get("stripe-signature"), tolerance=hook.tolerance, now=now
        )
    elif scheme == "slack":
        verify_slack(
            secret,
            body,
            headers.get("x-slack-signature"),
            headers.get("x-slack-request-timestamp"),
            tolerance=hook.tolerance,
            now=now,
        )
    elif scheme == "standard":
        verify_standard(secret, body, headers, tolerance=hook.tolerance, now=now)
    elif scheme == "hmac":
        name = (hook.header or "").lower()
        verify_hmac(
            secret,
            body,
            headers.get(name) if name else None,
            algorithm=hook.algorithm,
            encoding=hook.encoding,
            prefix=hook.prefix,
            header=hook.header or "signature",
        )
    elif scheme == "perfex":
        verify_perfex(secret, body, headers.get(PERFEX_HEADER), tolerance=hook.tolerance, now=now)
    elif scheme == "token":
        verify_token(secret, headers.get("authorization"), query.get("token"))
    elif scheme == "basic":
        verify_basic(hook.username or "", secret, headers.get("authorization"))
    else:
        logger.error("hook %s has an unknown verify scheme", hook.name)
        raise VerificationError("this hook is not configured to accept requests")
