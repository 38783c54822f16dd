"""Templates and the small formatting helpers the pages use (times, durations, JSON).

Autoescaping is on everywhere; pages carry a strict Content-Security-Policy (no inline
script or style), so scripts come only from /assets: live.js, and the rule builder's
modules (/assets/builder/, module scripts from 'self').
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from bridge.dashboard.assets import asset_version, builder_modules
from bridge.payloads import scrub

logger = logging.getLogger("bridge.dashboard.render")

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_STATUS_CLASS = {
    "succeeded": "ok",
    "ok": "ok",
    "success": "ok",
    "running": "info",
    "queued": "info",
    "pending": "info",
    "retrying": "warn",
    "waiting": "info",
    "cancelled": "muted",
    "backoff": "warn",
    "standby": "muted",
    "skipped": "muted",
    "failed": "bad",
    "dead": "bad",
    "unauthorized": "bad",
    "error": "bad",
}


def to_datetime(value: Any) -> datetime | None:
    """A datetime from unix seconds or an ISO-8601 string; None when it is neither."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        pass
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fmt_time(value: Any) -> str:
    """`2026-11-24 10:00:00 UTC`."""
    moment = to_datetime(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def fmt_ago(value: Any, now: float | None = None) -> str:
    """`12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`."""
    moment = to_datetime(value)
    if moment is None:
        return "never"
    seconds = max(0.0, (time.time() if now is None else now) - moment.timestamp())
    return fmt_seconds(seconds) + " ago"


def fmt_seconds(value: Any) -> str:
    """A span of seconds in the unit a person reads best."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def fmt_json(value: Any) -> str:
    """Pretty JSON for <pre> blocks."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(scrub(value), indent=2, sort_keys=False, default=str, ensure_ascii=False)


def status_class(value: Any) -> str:
    """The colour class of a status badge."""
    return _STATUS_CLASS.get(str(value).lower(), "muted")


def _make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(
        when=fmt_time,
        ago=fmt_ago,
        seconds=fmt_seconds,
        pretty=fmt_json,
        status_class=status_class,
    )
    env.globals.update(builder_modules=builder_modules(), asset_version=asset_version)
    return Jinja2Templates(env=env)


TEMPLATES = _make_templates()


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render a template with the security headers every dashboard page carries.

    Stored data that cannot be encoded (a lone surrogate from an older bridge or a
    receiver's answer) is shown scrubbed rather than failing the page (bridge.payloads).
    """
    try:
        return TEMPLATES.TemplateResponse(
            request, name, context, status_code=status, headers=SECURITY_HEADERS
        )
    except (UnicodeEncodeError, RecursionError):
        clean = {key: value if key == "request" else scrub(value) for key, value in context.items()}
        return TEMPLATES.TemplateResponse(
            request, name, clean, status_code=status, headers=SECURITY_HEADERS
        )
