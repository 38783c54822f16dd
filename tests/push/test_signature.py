"""`verify: perfex`: X-Perfex-Signature checked in constant time, with a timestamp bound."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from bridge.exceptions import VerificationError
from bridge.push.mapping import event_type
from bridge.push.signature import verify_perfex

SECRET = "s3cret"
BODY = b'{"event":"lead_created","timestamp":1,"data":{"id":1}}'


def _header(stamp: int, body: bytes = BODY, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def test_good_signature_passes() -> None:
    """A header signed with the secret over "<t>.<body>" within the tolerance is accepted."""
    now = time.time()
    verify_perfex(SECRET, BODY, _header(int(now)), tolerance=300, now=now)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("t=abc,v1=00", "Unix timestamp"),
        ("v1=00", "t=<unix>"),
        ("t=1", "t=<unix>"),
        ("x" * 2000, "too long"),
    ],
)
def test_malformed_headers_are_refused(header: str | None, message: str) -> None:
    """Missing, malformed or oversized headers are refused with a message that says why."""
    with pytest.raises(VerificationError, match=message):
        verify_perfex(SECRET, BODY, header, tolerance=300, now=time.time())


def test_wrong_secret_or_changed_body_is_refused() -> None:
    """A signature by another secret, or over another body, does not match."""
    now = int(time.time())
    with pytest.raises(VerificationError, match="does not match"):
        verify_perfex(SECRET, BODY, _header(now, secret="other"), tolerance=300, now=now)
    with pytest.raises(VerificationError, match="does not match"):
        verify_perfex(SECRET, BODY + b" ", _header(now), tolerance=300, now=now)


def test_old_and_future_timestamps_are_refused() -> None:
    """A signature older (or newer) than the tolerance is refused: no replays."""
    now = int(time.time())
    with pytest.raises(VerificationError, match="tolerance"):
        verify_perfex(SECRET, BODY, _header(now - 301), tolerance=300, now=now)
    with pytest.raises(VerificationError, match="tolerance"):
        verify_perfex(SECRET, BODY, _header(now + 301), tolerance=300, now=now)
    verify_perfex(SECRET, BODY, _header(now - 299), tolerance=300, now=now)


def test_a_hook_without_secret_refuses_everything() -> None:
    """An empty secret never verifies anything (misconfiguration is not an open door)."""
    now = int(time.time())
    with pytest.raises(VerificationError, match="not configured"):
        verify_perfex("", BODY, _header(now, secret=""), tolerance=300, now=now)


def test_one_of_several_v1_signatures_may_match() -> None:
    """Several v1 entries (a rotating secret) pass when one matches."""
    now = int(time.time())
    good = _header(now).split(",")[1]
    verify_perfex(SECRET, BODY, f"t={now},v1=deadbeef,{good}", tolerance=300, now=now)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice_created", "perfex.invoices.created"),
        ("invoice_paid", "perfex.invoices.paid"),
        ("credit_note_updated", "perfex.credit_notes.updated"),
        ("staff_deleted", "perfex.staffs.deleted"),
        ("calendar_event_created", "perfex.calendar.created"),
        ("kb_article_updated", "perfex.knowledge_base.updated"),
        ("ticket_reply_created", "perfex.tickets.reply_created"),
        ("client_status_changed", "perfex.customers.status_changed"),
        ("customer_created", "perfex.customers.created"),
        ("lead_marked_lost", "perfex.leads.marked_lost"),
        ("estimate_converted_to_invoice", "perfex.estimates.converted_to_invoice"),
        ("task_timer_started", "perfex.tasks.timer_started"),
        ("api_key_created", "perfex.api_keys.created"),
        ("Invoice_created", None),
        ("invoice", None),
        ("invoice_", None),
        ("inv oice_created", None),
    ],
)
def test_module_event_names_map_to_event_types(name: str, expected: str | None) -> None:
    """Module names map to perfex.<API path word>.<what>, as design.md lists them."""
    assert event_type(name) == expected
