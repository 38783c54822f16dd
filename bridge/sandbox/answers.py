"""The answer shapes the Perfex API module uses, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from bridge.sandbox.state import Sandbox


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox this request belongs to (kept on app.state, never in a global)."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def ok(
    message: str, *, key: str = "status", value: bool = True, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """`{"status": true, "message": ...}` (plus extra keys such as a new id)."""
    return JSONResponse({key: value, "message": message, **(extra or {})})


def fail(message: str, status: int = 404, *, key: str = "status") -> JSONResponse:
    """`{"status": false, "message": ...}`: Perfex's usual failure, 404 by default."""
    return JSONResponse({key: False, "message": message}, status)


def invalid(errors: dict[str, str], status: int = 404) -> JSONResponse:
    """CodeIgniter form validation failure: the error per field and validation_errors()."""
    message = "".join(f"<p>{text}</p>\n" for text in errors.values())
    return JSONResponse({"status": False, "error": errors, "message": message}, status)


def missing(fields: dict[str, Any], required: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Errors for mandatory fields that are absent or empty (`name[]` means an array)."""
    errors: dict[str, str] = {}
    for name, label in required:
        value = fields.get(name.removesuffix("[]"))
        if value is None or (isinstance(value, str) and not value.strip()) or value in ([], {}):
            errors[name] = f"The {label} field is required."
    return errors


def paged(rows: list[Any], request: Request) -> dict[str, Any]:
    """`{"data": [...], "meta": {...}}` for `page` and `per_page` (1..100, default 20)."""
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    try:
        per_page = min(100, max(1, int(request.query_params.get("per_page", "20"))))
    except ValueError:
        per_page = 20
    total = len(rows)
    start = (page - 1) * per_page
    return {
        "data": rows[start : start + per_page],
        "meta": {
            "current_page": page,
            "per_page": per_page,
            "total": total,
            "last_page": max(1, -(-total // per_page)),
        },
    }
