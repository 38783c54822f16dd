"""`X-Perfex-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, as v3 modules sign.

Verified in constant time, the timestamp bounded by the hook's `tolerance` (default 300 s)
so a captured delivery cannot be replayed later. Messages never contain the secret or the
expected digest.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from bridge.exceptions import VerificationError

logger = logging.getLogger("bridge.push.signature")

HEADER = "x-perfex-signature"
#: Longest header considered; anything longer is refused before any work.
_MAX_HEADER = 1024


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a module sends for `body` at `timestamp` (tests, the CLI's check)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_perfex(
    secret: str, body: bytes, header: str | None, *, tolerance: int, now: float
) -> None:
    """Raise VerificationError unless `header` signs `body` with `secret` within tolerance."""
    if not secret:
        logger.error("a perfex hook has no secret; refusing requests")
        raise VerificationError("this hook is not configured to accept requests")
    if not header:
        raise VerificationError("missing X-Perfex-Signature header")
    if len(header) > _MAX_HEADER:
        raise VerificationError("X-Perfex-Signature header is too long")
    stamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            stamp = value.strip()
        elif key == "v1":
            signatures.append(value.strip())
    if stamp is None or not signatures:
        raise VerificationError("X-Perfex-Signature must be t=<unix>,v1=<hex>")
    try:
        when = int(stamp)
    except ValueError:
        raise VerificationError("X-Perfex-Signature t= is not a Unix timestamp") from None
    if abs(now - when) > tolerance:
        raise VerificationError(
            f"X-Perfex-Signature is outside the {tolerance} s tolerance (stale or replayed)"
        )
    secret_key = secret.encode("utf-8", "surrogatepass")
    expected = (
        hmac.new(secret_key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest().encode()
    )
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.lower().encode("ascii", "replace"))
    if not matched:
        raise VerificationError("X-Perfex-Signature does not match the body")
