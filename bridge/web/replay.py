"""Replays that change only what the sender does not sign are the same delivery.

GitHub and `hmac` senders sign the body alone. A captured request re-sent with a new (or
no) `X-GitHub-Delivery`, `Idempotency-Key` or `webhook-id`, or with another
`X-GitHub-Event`, would otherwise be a new event. For these schemes the body is also
remembered for BRIDGE_REPLAY_WINDOW seconds: the same body on the same hook within the
window is the delivery already stored (200, duplicate), whatever its unsigned headers say.

Standard Webhooks, Stripe and Slack sign their id or timestamp with the body and keep
their own dedupe. `token`, `basic` and `none` sign nothing: whoever can replay such a
request holds the credential (or needs none) and can send any body, so remembering bodies
would stop nobody while merging legitimate identical submissions (two people sending the
same form); they keep `Idempotency-Key` / `webhook-id` as their dedupe.

The claim is race-free without a transaction: the first request of a body records its
event id (SET NX with the window as TTL); every later one takes that same event id, and
the event store's own SET NX lets exactly one of them store it. A first request whose
store failed (503) leaves the id claimed but unstored, so its retry stores it then.
"""

from __future__ import annotations

import hashlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge import constants
from bridge.exceptions import StoreUnavailable

logger = logging.getLogger("bridge.web.replay")

#: Schemes that sign the body and nothing else (no delivery id, no event name).
BODY_ONLY_SCHEMES = frozenset({"github", "hmac"})


def body_key(hook_name: str, scheme: str, body: bytes, window: float) -> str | None:
    """The Redis key remembering this body on this hook, or None when not deduped so."""
    if window <= 0 or scheme not in BODY_ONLY_SCHEMES:
        return None
    digest = hashlib.sha256(body).hexdigest()
    return f"{constants.HOOK_BODY_SEEN}{hook_name}:{digest}"


async def claim(redis: Redis, key: str, event_id: str, window: float) -> str:
    """The event id this body is stored under: `event_id` if first, else the first one's."""
    try:
        first = await redis.set(key, event_id, nx=True, ex=max(1, int(window)))
        if first:
            return event_id
        existing = await redis.get(key)
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"event store unavailable: {exc}") from exc
    if existing is None:  # expired between the two calls: this one is first after all
        return event_id
    return existing.decode() if isinstance(existing, bytes) else str(existing)
