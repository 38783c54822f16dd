"""What an accepted webhook becomes: its delivery id (the dedupe key) and its public headers.

Event ids are `webhook:<hook>:<delivery id>`, so EventStore's SET NX is the dedupe itself:
a sender's retry or a replayed request stores nothing new and gets the same event id.

Where the delivery id comes from, per scheme:

- `standard`: `webhook-id`.   `github`: `X-GitHub-Delivery`.
- `stripe`: the event id in the body (`evt_...`).   `slack`: the body's `event_id`
  (Events API); for slash commands and interactivity, a hash of timestamp and body.
- `hmac`: an `Idempotency-Key` or `webhook-id` header when the sender gives one, else a
  hash of the body. The body is what the sender signs, so a byte-identical body is a
  retry or a replay of one signed message; storing it twice would be the bug.
- `token`, `basic`, `none`: an `Idempotency-Key` or `webhook-id` header, else a fresh id
  per request. Nothing is signed, so a body hash would stop no attacker (whoever holds the
  token can post any body), while it would merge legitimately identical submissions (two
  people sending the same form, a sensor posting the same reading twice).

`github` and `hmac` sign the body but not these ids, so on top of them the same body on
the same hook within BRIDGE_REPLAY_WINDOW is one delivery whatever id it carries
(`bridge.web.replay`): a replay with a new or missing id makes no new event.

Any id outside `[A-Za-z0-9._:@-]{1,128}` is replaced by a hash of it, so a hostile header
cannot make odd Redis keys or URLs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from bridge.web.verify import HookLike, secret_text

logger = logging.getLogger("bridge.web.delivery")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
_IDEMPOTENCY_HEADERS = ("idempotency-key", "webhook-id")
#: Headers that carry credentials or signatures under every scheme.
_CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-hub-signature",
        "x-hub-signature-256",
        "stripe-signature",
        "x-slack-signature",
        "webhook-signature",
    }
)
#: Header names containing one of these look like credentials (x-api-key, x-auth-token...).
_CREDENTIAL_WORDS = ("api-key", "apikey", "api_key", "token", "secret", "password", "auth")


def _clean(value: str) -> str:
    if _SAFE_ID.match(value):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _body_hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return "b-" + digest.hexdigest()[:40]


def _from_body(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _idempotency_header(headers: Mapping[str, str]) -> str | None:
    return next((headers[name] for name in _IDEMPOTENCY_HEADERS if headers.get(name)), None)


def delivery_id(hook: HookLike, headers: Mapping[str, str], body: bytes, data: Any) -> str:
    """The dedupe key of a verified request (see the module docstring for the choice)."""
    scheme = hook.verify
    found: str | None = None
    if scheme == "standard":
        found = headers.get("webhook-id")
    elif scheme == "github":
        found = headers.get("x-github-delivery") or _body_hash(body)
    elif scheme == "stripe":
        found = _from_body(data, "id") or _body_hash(body)
    elif scheme == "slack":
        stamp = headers.get("x-slack-request-timestamp", "").encode()
        found = _from_body(data, "event_id") or _body_hash(stamp, body)
    elif scheme == "hmac":
        found = _idempotency_header(headers) or _body_hash(body)
    else:
        found = _idempotency_header(headers)
    return _clean(found) if found else "r-" + uuid.uuid4().hex


def event_id(hook_name: str, delivery: str) -> str:
    """The deterministic event id of a delivery."""
    return f"webhook:{hook_name}:{delivery}"


def public_headers(headers: Mapping[str, str], hook: HookLike) -> dict[str, str]:
    """Request headers safe to store: credentials, signatures and the secret removed."""
    secret = secret_text(hook)
    hmac_header = (hook.header or "").lower()
    kept: dict[str, str] = {}
    for name, value in headers.items():
        if name in _CREDENTIAL_HEADERS or name == hmac_header:
            continue
        if any(word in name for word in _CREDENTIAL_WORDS):
            continue
        if secret and secret in value:
            continue
        kept[name] = value
    return kept
