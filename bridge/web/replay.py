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

The claim and the store are one script call (`EventStore.store_claiming`, one round trip):
the first request of a body records its event id under the body's key (SET NX with the
window as TTL) and stores its event; every later one finds that id and is its duplicate.
Should the first one's event be gone (expired), a later one stores it under that id.
"""

from __future__ import annotations

import hashlib
import logging

from bridge import constants

logger = logging.getLogger("bridge.web.replay")

#: Schemes that sign the body and nothing else (no delivery id, no event name).
BODY_ONLY_SCHEMES = frozenset({"github", "hmac"})


def body_key(hook_name: str, scheme: str, body: bytes, window: float) -> str | None:
    """The Redis key remembering this body on this hook, or None when not deduped so."""
    if window <= 0 or scheme not in BODY_ONLY_SCHEMES:
        return None
    digest = hashlib.sha256(body).hexdigest()
    return f"{constants.HOOK_BODY_SEEN}{hook_name}:{digest}"


def claim_ttl(window: float) -> int:
    """The body key's TTL in whole seconds (at least 1) for a window of `window` seconds."""
    return max(1, int(window))
