"""The builder's read-only routes: the catalogue, sample events and the template gallery.

    GET /api/catalogue                 every trigger and action, in people's words
    GET /api/samples/{event_type}      {"event", "source": "stored" | "perfex" | "reference"}
                                       ?verify=<scheme> for a hook still being created
    GET /api/builder/templates         {"templates": [...]}: rules to start from

Thin callers of `bridge.builder`; the admin guard (token, JSON errors) wraps each.
"""

from __future__ import annotations

import hashlib
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.admin.responses import NotFound
from bridge.admin.state import redis_of, rules_watcher_of, settings_of
from bridge.builder.catalogue import build_catalogue
from bridge.builder.gallery import templates
from bridge.builder.samples import perfex_client, sample_event
from bridge.exceptions import UnknownEventType
from bridge.rules.model import Ruleset

logger = logging.getLogger("bridge.admin.catalogue_api")


#: The last catalogue sent, encoded, with its ETag and the ruleset it was built for: the
#: rules change rarely, so most requests reuse the encoded answer (about 220 KiB), and a
#: browser that has it already gets 304.
_last: tuple[Ruleset | None, bytes, str] | None = None


async def catalogue(request: Request) -> Response:
    """`{"triggers": [...], "actions": [...]}` for the rules loaded now."""
    global _last
    ruleset = _ruleset(request)
    if _last is None or _last[0] is not ruleset:
        body = bytes(JSONResponse(build_catalogue(ruleset)).body)
        _last = (ruleset, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    _, body, etag = _last
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def sample(request: Request) -> Response:
    """A sample event of one type for the field picker; 404 for a type that cannot occur."""
    event_type = request.path_params["event_type"]
    perfex = perfex_client(settings_of(request))
    try:
        answer = await sample_event(
            event_type,
            redis=redis_of(request),
            perfex=perfex,
            ruleset=_ruleset(request),
            verify=request.query_params.get("verify"),
        )
    except UnknownEventType as exc:
        raise NotFound(str(exc)) from None
    finally:
        if perfex is not None:
            await perfex.aclose()
    return JSONResponse(answer)


async def gallery(request: Request) -> Response:
    """The rule templates: the shipped examples and everyday automations."""
    return JSONResponse({"templates": templates()})


def _ruleset(request: Request) -> Ruleset | None:
    watcher = rules_watcher_of(request)
    current: Ruleset | None = getattr(watcher, "current", None)
    return current
