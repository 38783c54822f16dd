"""GET /api/<res> as the v3 module answers it, or as an older module does (module switch).

v3: a plain array when no paging parameter is sent; `{"data", "meta"}` once `page`,
`per_page` or `limit` (with `page`) is sent, and always for tasks and tickets (20 a page
by default). `per_page` is clamped to 1..100 and a `page` past the end to the last page.
`sort=a,-b` orders numeric-aware (`-` descending), `fields=a,b` keeps only those columns,
`created_after`/`created_before` (aliases `date_from`/`date_to`) filter on the first date
column a row has; rows without a usable date are kept.

Older module (`POST /_sandbox/module {"version": "legacy"}`): plain arrays only, every
parameter ignored, and the lists the reference does not document answer CodeIgniter's
HTML 404 page, as a module without that route does.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bridge.sandbox.answers import fail, sandbox_of
from bridge.sandbox.module import CI_404
from bridge.sandbox.records import view
from bridge.sandbox.resources import Resource

logger = logging.getLogger("bridge.sandbox.lists")

#: Resources whose list always answers the envelope (tasks: 20 a page by default).
ALWAYS_ENVELOPE = frozenset({"tasks", "tickets"})
#: Columns `created_after` looks at, first present wins (the module's order).
DATE_COLUMNS = ("datecreated", "date_created", "dateadded", "created_at", "date", "startdate")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _when(text: Any) -> float | None:
    if not isinstance(text, str) or not text.strip() or text.startswith("0000"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip()[:19], fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def _row_date(row: dict[str, Any]) -> float | None:
    for column in DATE_COLUMNS:
        if column in row:
            return _when(row[column])
    return None


def filter_dates(rows: list[dict[str, Any]], query: QueryParams) -> list[dict[str, Any]]:
    """`created_after` / `created_before` (or date_from / date_to), inclusive."""
    after = _when(query.get("created_after") or query.get("date_from"))
    before_text = query.get("created_before") or query.get("date_to")
    before = _when(before_text)
    if before is not None and before_text is not None and len(before_text.strip()) <= 10:
        before += 86399  # a date alone means the whole day
    if after is None and before is None:
        return rows
    out = []
    for row in rows:
        when = _row_date(row)
        if when is None or (
            (after is None or when >= after) and (before is None or when <= before)
        ):
            out.append(row)
    return out


def _sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers before text, numbers by value: "10" after "9" (numeric-aware)."""
    if value is None:
        return (0, 0.0, "")
    try:
        return (1, float(value), "")
    except (TypeError, ValueError):
        return (2, 0.0, str(value))


def sort_rows(rows: list[dict[str, Any]], spec: str | None) -> list[dict[str, Any]]:
    """`sort=a,-b`: stable sorts from the last key to the first."""
    if not spec:
        return rows
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        name = part.lstrip("-")

        def key(row: dict[str, Any], name: str = name) -> tuple[int, float, str]:
            return _sort_key(row.get(name))

        rows = sorted(rows, key=key, reverse=part[0] == "-")
    return rows


def pick_fields(rows: list[dict[str, Any]], spec: str | None) -> list[dict[str, Any]]:
    """`fields=a,b`: only those columns (unknown names are left out)."""
    if not spec:
        return rows
    wanted = [f.strip() for f in spec.split(",") if f.strip()]
    return [{k: row[k] for k in wanted if k in row} for row in rows]


def envelope(rows: list[Any], query: QueryParams) -> dict[str, Any]:
    """One page of rows with the module's meta; past the end is the last page."""
    per_page = _int(query.get("per_page") or query.get("limit"), DEFAULT_PER_PAGE)
    per_page = min(MAX_PER_PAGE, max(1, per_page))
    total = len(rows)
    last = max(1, -(-total // per_page))
    page = min(last, max(1, _int(query.get("page"), 1)))
    start = (page - 1) * per_page
    return {
        "data": rows[start : start + per_page],
        "meta": {
            "page": page,
            "current_page": page,
            "per_page": per_page,
            "total": total,
            "total_pages": last,
            "last_page": last,
            "has_more": page < last,
        },
    }


def wants_envelope(resource: Resource, query: QueryParams) -> bool:
    """Whether the v3 module answers this list in pages."""
    if resource.name in ALWAYS_ENVELOPE:
        return True
    return "page" in query or "per_page" in query


def make_list(resource: Resource) -> Any:
    """GET /api/<res>."""

    async def list_all(request: Request) -> Response:
        sandbox = sandbox_of(request)
        module = sandbox.module
        if not module.serves_list(resource.name):
            return HTMLResponse(CI_404, 404)
        query = request.query_params
        stored = sandbox.store.peek_all(resource.name)
        if module.version == "legacy":
            rows = [view(resource, r, sandbox.store) for r in stored]
            if not rows:
                return fail(resource.not_found, key=resource.status_key)
            if resource.list_paged:
                return JSONResponse(envelope(rows, query))
            return JSONResponse(rows)
        # Filter and sort on the stored columns, then build the API view of one page only
        # (what MySQL does with WHERE/ORDER BY/LIMIT before the model adds its joins).
        stored = sort_rows(filter_dates(stored, query), query.get("sort"))
        if wants_envelope(resource, query):
            page = envelope(stored, query)
            page["data"] = pick_fields(
                [view(resource, r, sandbox.store) for r in page["data"]], query.get("fields")
            )
            return JSONResponse(page)
        rows = pick_fields([view(resource, r, sandbox.store) for r in stored], query.get("fields"))
        if not rows:
            return fail(resource.not_found, key=resource.status_key)
        return JSONResponse(rows)

    return list_all
