"""The rule builder's pages: new rule, edit a rule, the template gallery, the audit log.

The pages are shells: the builder's ES modules (static/builder/, entry main.js) do the work
through the admin API (/api/catalogue, /api/samples, /api/rules, ...) with the session
cookie and the session's CSRF token in the `X-CSRF-Token` header, so the dashboard and the
API share one set of checks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bridge.admin.responses import NotFound
from bridge.dashboard.render import page

logger = logging.getLogger("bridge.dashboard.builder_views")

#: A rule name as the builder can address it in a URL (the rules engine is stricter still).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def _builder(request: Request, session: dict[str, Any], mode: str, name: str = "") -> Response:
    context = {"session": session, "nav": "rules", "mode": mode, "rule_name": name}
    return page(request, "builder.html", context)


async def new_rule(request: Request, session: dict[str, Any]) -> Response:
    """The builder on an empty rule (or on a template: `?template=<id>`)."""
    template = request.query_params.get("template", "")
    return _builder(request, session, "template" if template else "new", template[:128])


async def edit_rule(request: Request, session: dict[str, Any]) -> Response:
    """The builder on an existing rule, loaded through GET /api/rules/{name}."""
    name = request.path_params["name"]
    if not _NAME.fullmatch(name):
        raise NotFound(f"No rule named {name[:80]!r}.")
    return _builder(request, session, "edit", name)


async def templates_page(request: Request, session: dict[str, Any]) -> Response:
    """The gallery of rule templates (GET /api/builder/templates)."""
    return page(request, "builder_templates.html", {"session": session, "nav": "rules"})


async def audit_page(request: Request, session: dict[str, Any]) -> Response:
    """Who changed which rule, and when (GET /api/rules/audit)."""
    return page(request, "builder_audit.html", {"session": session, "nav": "rules"})


def routes(guard: Callable[[Any], Any]) -> list[BaseRoute]:
    """The builder's pages; before any other /rules/... route."""
    return [
        Route("/rules/new", guard(new_rule), methods=["GET"]),
        Route("/rules/templates", guard(templates_page), methods=["GET"]),
        Route("/rules/audit", guard(audit_page), methods=["GET"]),
        Route("/rules/{name}/edit", guard(edit_rule), methods=["GET"]),
    ]
