"""The gate in front of every dashboard page and button.

No BRIDGE_ADMIN_TOKEN: every request gets a page saying it must be set, and no data.
No session: pages redirect to /login, live fragments and buttons answer 401. A button
(POST) also needs the session's CSRF token, or it is refused with 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bridge.admin.paging import BadQuery
from bridge.admin.responses import NotFound, Unavailable
from bridge.dashboard.auth import CSRF_FIELD, csrf_ok, read_session
from bridge.dashboard.render import SECURITY_HEADERS, page
from bridge.exceptions import StoreUnavailable
from bridge.settings import Settings

logger = logging.getLogger("bridge.dashboard.guard")

View = Callable[[Request, dict[str, Any]], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def is_fragment(request: Request) -> bool:
    """Whether live.js asked for the page's live part only."""
    return request.headers.get("x-bridge-fragment") == "1"


def disabled_page(request: Request) -> Response:
    """The only page a dashboard without BRIDGE_ADMIN_TOKEN shows."""
    return page(request, "disabled.html", {}, status=403)


def message_page(request: Request, status: int, title: str, text: str) -> Response:
    """A plain page explaining why something was refused or not found."""
    return page(request, "message.html", {"title": title, "text": text}, status=status)


def protected(settings: Settings, *, changes: bool = False) -> Callable[[View], Endpoint]:
    """Wrap a view: login required; `changes=True` also requires the CSRF token."""

    def decorate(view: View) -> Endpoint:
        @wraps(view)
        async def run(request: Request) -> Response:
            if settings.admin_token is None:
                return disabled_page(request)
            try:
                session = await read_session(request, settings.admin_token)
            except (RedisError, OSError) as exc:
                logger.error("dashboard: store unavailable: %s", exc)
                return message_page(
                    request, 503, "Store unavailable", "Redis cannot be reached; try again shortly."
                )
            if session is None:
                if changes or is_fragment(request):
                    return message_page(
                        request, 401, "Not logged in", "Your session ended. Log in again."
                    )
                target = quote(request.url.path + _query(request), safe="")
                return RedirectResponse(
                    f"/login?next={target}", status_code=303, headers=SECURITY_HEADERS
                )
            if changes:
                form = await request.form()
                if not csrf_ok(session, form.get(CSRF_FIELD)):
                    logger.warning("dashboard: refused %s without a valid CSRF token", request.url)
                    return message_page(
                        request,
                        403,
                        "Refused",
                        "This action was refused because its form had no valid CSRF token. "
                        "Reload the page and try again.",
                    )
            try:
                return await view(request, session)
            except BadQuery as exc:
                return message_page(request, 400, "Bad request", str(exc))
            except NotFound as exc:
                return message_page(request, 404, "Not found", str(exc))
            except Unavailable as exc:
                return message_page(request, 503, "Unavailable", str(exc))
            except (StoreUnavailable, RedisError, OSError) as exc:
                logger.error("dashboard: store unavailable: %s", exc)
                return message_page(
                    request, 503, "Store unavailable", "Redis cannot be reached; try again shortly."
                )

        return run

    return decorate


def _query(request: Request) -> str:
    return "?" + request.url.query if request.url.query else ""
