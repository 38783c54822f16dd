"""How each sender signs its webhooks, written from the senders' documentation.

Independent of bridge.web.verify on purpose: the tests sign the way GitHub, Stripe and
Slack do, and Standard Webhooks requests are signed by the `standardwebhooks` library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

from standardwebhooks import Webhook

GITHUB_SECRET = "gh-secret-for-tests"
STRIPE_SECRET = "whsec_test_stripe_secret_0123456789"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
STANDARD_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
HMAC_SECRET = "hmac-secret-for-tests"
TOKEN = "token-for-tests-0123456789"
BASIC_USER = "zapier"
BASIC_PASSWORD = "basic-password-for-tests"


def github(body: bytes, secret: str = GITHUB_SECRET, delivery: str = "d-1") -> dict[str, str]:
    """X-Hub-Signature-256 as GitHub sends it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }


def stripe(body: bytes, secret: str = STRIPE_SECRET, at: int | None = None) -> dict[str, str]:
    """Stripe-Signature: t=...,v1=... over "{t}.{body}" keyed by the whole whsec_ string."""
    stamp = int(time.time()) if at is None else at
    payload = f"{stamp}.".encode() + body
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


def slack(body: bytes, secret: str = SLACK_SECRET, at: int | None = None) -> dict[str, str]:
    """X-Slack-Signature: v0=<hex> over "v0:{timestamp}:{body}"."""
    stamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
        "X-Slack-Request-Timestamp": stamp,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def standard(
    body: bytes, secret: str = STANDARD_SECRET, msg_id: str = "msg_1", at: int | None = None
) -> dict[str, str]:
    """Standard Webhooks headers, signed by the `standardwebhooks` library itself."""
    stamp = int(time.time()) if at is None else at
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, UTC), body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def hmac_b64(body: bytes, secret: str = HMAC_SECRET) -> dict[str, str]:
    """A generic sender: X-Signature: sha512=<base64 HMAC-SHA512>."""
    digest = hmac.new(secret.encode(), body, hashlib.sha512).digest()
    return {"X-Signature": "sha512=" + base64.b64encode(digest).decode()}


def basic(user: str = BASIC_USER, password: str = BASIC_PASSWORD) -> dict[str, str]:
    """Authorization: Basic."""
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}
