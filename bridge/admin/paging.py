"""Query-string parsing shared by the admin API and the dashboard: times, limits, cursors.

A cursor is opaque to clients: `<score>:<member>` of the last item of a page, in base64,
so paging stays stable while new items arrive at the top.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime

logger = logging.getLogger("bridge.admin.paging")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class BadQuery(ValueError):
    """A query parameter that cannot be understood; the message names it."""


def parse_time(name: str, value: str | None) -> float | None:
    """Unix seconds from `value` (unix seconds or ISO-8601; naive means UTC), or None."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(f"{name} must be unix seconds or an ISO-8601 time, got {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_limit(value: str | None, default: int = DEFAULT_LIMIT) -> int:
    """The page size: 1..MAX_LIMIT."""
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except ValueError:
        raise BadQuery(f"limit must be a whole number, got {value!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def encode_cursor(score: float, member: str) -> str:
    """An opaque cursor pointing just after (score, member) in newest-first order."""
    raw = f"{score!r}:{member}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[float, str] | None:
    """(score, member) from a cursor made by `encode_cursor`, or None when absent."""
    if value is None or value == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        score, member = raw.split(":", 1)
        return float(score), member
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadQuery(
            "cursor is not valid: pass back the next_cursor of a previous page"
        ) from None
