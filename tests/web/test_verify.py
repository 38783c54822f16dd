"""The verification schemes as plain functions: each sender's format, each failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from bridge.exceptions import VerificationError
from bridge.web import verify
from tests.web import signing

BODY = b'{"action":"opened"}'
NOW = time.time()


def test_github_test_vector_from_its_docs() -> None:
    """GitHub's published vector verifies: secret "It's a Secret to Everybody", "Hello, World!"."""
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    verify.verify_github("It's a Secret to Everybody", b"Hello, World!", header)
    with pytest.raises(VerificationError, match="does not match"):
        verify.verify_github("It's a Secret to Everybody", b"Hello, World?", header)


def test_github_requires_sha256_prefix_and_header() -> None:
    """A missing header or a sha1= signature is refused with a message naming the header."""
    with pytest.raises(VerificationError, match="missing X-Hub-Signature-256"):
        verify.verify_github("s", BODY, None)
    digest = hmac.new(b"s", BODY, hashlib.sha1).hexdigest()
    with pytest.raises(VerificationError, match="sha256="):
        verify.verify_github("s", BODY, f"sha1={digest}")


def test_github_accepts_uppercase_hex_and_refuses_non_hex() -> None:
    """Hex case does not matter; garbage (even non-ASCII) is a plain refusal, not a crash."""
    digest = hmac.new(b"s", BODY, hashlib.sha256).hexdigest().upper()
    verify.verify_github("s", BODY, f"sha256={digest}")
    for junk in ("sha256=zz", "sha256=é" * 3, "sha256="):
        with pytest.raises(VerificationError):
            verify.verify_github("s", BODY, junk)


def test_stripe_accepts_any_of_several_v1_and_refuses_stale() -> None:
    """Stripe: one of several v1 entries may match; an old t= is refused."""
    good = signing.stripe(BODY, at=int(NOW))["Stripe-Signature"]
    stamp, v1 = good.split(",")
    header = f"{stamp},v1={'0' * 64},{v1},v0=abc"
    verify.verify_stripe(signing.STRIPE_SECRET, BODY, header, tolerance=300, now=NOW)
    stale = signing.stripe(BODY, at=int(NOW) - 301)["Stripe-Signature"]
    with pytest.raises(VerificationError, match="tolerance"):
        verify.verify_stripe(signing.STRIPE_SECRET, BODY, stale, tolerance=300, now=NOW)


def test_stripe_key_is_the_whole_whsec_string() -> None:
    """Signing with the base64-decoded part (the Standard Webhooks way) does not verify."""
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    stamp = int(NOW)
    wrong = hmac.new(b"k" * 24, f"{stamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    with pytest.raises(VerificationError):
        verify.verify_stripe(secret, BODY, f"t={stamp},v1={wrong}", tolerance=300, now=NOW)
    right = signing.stripe(BODY, secret=secret, at=stamp)["Stripe-Signature"]
    verify.verify_stripe(secret, BODY, right, tolerance=300, now=NOW)


@pytest.mark.parametrize(
    ("header", "message"),
    [("v1=ab", "no t="), ("t=1", "no v1="), ("t=abc,v1=00", "not a Unix timestamp")],
)
def test_stripe_malformed_headers(header: str, message: str) -> None:
    """Malformed Stripe-Signature headers are refused with a precise reason."""
    with pytest.raises(VerificationError, match=message):
        verify.verify_stripe("whsec_x", BODY, header, tolerance=300, now=NOW)


def test_slack_signature_and_future_timestamp() -> None:
    """Slack: v0= over v0:ts:body verifies; a timestamp far in the future is refused."""
    headers = signing.slack(BODY, at=int(NOW))
    verify.verify_slack(
        signing.SLACK_SECRET,
        BODY,
        headers["X-Slack-Signature"],
        headers["X-Slack-Request-Timestamp"],
        tolerance=300,
        now=NOW,
    )
    future = signing.slack(BODY, at=int(NOW) + 3600)
    with pytest.raises(VerificationError, match="tolerance"):
        verify.verify_slack(
            signing.SLACK_SECRET,
            BODY,
            future["X-Slack-Signature"],
            future["X-Slack-Request-Timestamp"],
            tolerance=300,
            now=NOW,
        )


def test_standard_rotated_signatures_and_bad_entries() -> None:
    """Standard Webhooks: a space-separated list with junk entries still finds the v1 match."""
    headers = signing.standard(BODY, at=int(NOW))
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered["webhook-signature"] = "v1,%%% v2,abc nocomma " + lowered["webhook-signature"]
    verify.verify_standard(signing.STANDARD_SECRET, BODY, lowered, tolerance=300, now=NOW)
    lowered["webhook-signature"] = "v1,%%% v1,AAAA v1"
    with pytest.raises(VerificationError, match="does not match"):
        verify.verify_standard(signing.STANDARD_SECRET, BODY, lowered, tolerance=300, now=NOW)


def test_standard_non_utf8_body_is_verified_as_bytes() -> None:
    """A non-UTF-8 body is a refusal (or a match), never a UnicodeDecodeError."""
    lowered = {k.lower(): v for k, v in signing.standard(BODY, at=int(NOW)).items()}
    with pytest.raises(VerificationError):
        verify.verify_standard(
            signing.STANDARD_SECRET, b"\xff\xfe", lowered, tolerance=300, now=NOW
        )


def test_standard_secret_that_is_not_base64_refuses_requests() -> None:
    """A misconfigured secret refuses every request instead of crashing."""
    lowered = {k.lower(): v for k, v in signing.standard(BODY, at=int(NOW)).items()}
    with pytest.raises(VerificationError, match="not configured"):
        verify.verify_standard("whsec_!!!not base64!!!", BODY, lowered, tolerance=300, now=NOW)


def test_hmac_hex_and_base64_with_and_without_prefix() -> None:
    """Generic HMAC: each algorithm and encoding; a missing prefix is refused."""
    for algorithm in ("sha1", "sha256", "sha512"):
        raw = hmac.new(b"k", BODY, algorithm).digest()
        verify.verify_hmac("k", BODY, raw.hex(), algorithm=algorithm)
        b64 = base64.b64encode(raw).decode()
        verify.verify_hmac(
            "k", BODY, "p=" + b64, algorithm=algorithm, encoding="base64", prefix="p="
        )
        with pytest.raises(VerificationError, match="must start with"):
            verify.verify_hmac("k", BODY, b64, algorithm=algorithm, encoding="base64", prefix="p=")


def test_token_bearer_or_query_and_wrong_token() -> None:
    """Token: the Bearer header or ?token= pass; a wrong or absent token does not."""
    verify.verify_token("t0k", "Bearer t0k", None)
    verify.verify_token("t0k", "bearer  t0k ", None)
    verify.verify_token("t0k", None, "t0k")
    with pytest.raises(VerificationError, match="does not match"):
        verify.verify_token("t0k", "Bearer nope", None)
    with pytest.raises(VerificationError, match="missing token"):
        verify.verify_token("t0k", "Basic abc", None)
    with pytest.raises(VerificationError, match="does not match"):
        verify.verify_token("t0k", None, "tök")


def test_basic_username_and_password() -> None:
    """Basic: both parts must match; malformed credentials are refused."""
    header = signing.basic("u", "p")["Authorization"]
    verify.verify_basic("u", "p", header)
    for bad in (signing.basic("u", "x"), signing.basic("x", "p"), {"Authorization": "Basic !!"}):
        with pytest.raises(VerificationError):
            verify.verify_basic("u", "p", bad["Authorization"])
    with pytest.raises(VerificationError, match="missing"):
        verify.verify_basic("u", "p", None)


def test_messages_never_contain_the_secret_or_expected_signature() -> None:
    """Refusal messages carry neither the secret nor the expected digest."""
    secret = "super-secret-value"
    expected = hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()
    with pytest.raises(VerificationError) as info:
        verify.verify_github(secret, BODY, "sha256=" + "0" * 64)
    assert secret not in str(info.value)
    assert expected not in str(info.value)


def test_github_mismatch_message_names_the_header_once() -> None:
    """A wrong GitHub signature names X-Hub-Signature-256 once (no "signature signature")."""
    digest = hmac.new(b"other", BODY, hashlib.sha256).hexdigest()
    with pytest.raises(VerificationError) as caught:
        verify.verify_github("s", BODY, f"sha256={digest}")
    assert "signature signature" not in str(caught.value)
    assert str(caught.value) == "X-Hub-Signature-256 does not match the body"
