"""The dashboard's static files (/assets): scripts always typed as JavaScript, and caching
that never mixes an old module of the rule builder with a new one.

Browsers refuse a module script that is not served with a JavaScript type; left to the
`mimetypes` table of the machine, a `.js` can come out as text/plain (a Windows registry
entry does it), so the type is set here.

The builder's modules import each other by relative paths ("./api.js") with no build step
to put versions in them. The pages load them under /assets/v/<version>/builder/, the
version a digest of the modules' contents: every import inherits it, so a release is a new
set of URLs, and those are cached as immutable (no request at all on the next page). The
plain /assets/ paths (the stylesheets, live.js) keep the browser's usual caching, by their
Last-Modified and ETag: asking to revalidate them each time would hold every page's
scripts back until the stylesheets were confirmed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

logger = logging.getLogger("bridge.dashboard.assets")

STATIC = Path(__file__).parent / "static"
BUILDER = STATIC / "builder"
JAVASCRIPT = "text/javascript; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"

_version: tuple[tuple[tuple[str, int, int], ...], str] | None = None


class DashboardAssets(StaticFiles):
    """StaticFiles with the JavaScript type fixed and, if given, its own Cache-Control."""

    def __init__(self, *, directory: Path, cache_control: str | None = None) -> None:
        super().__init__(directory=directory)
        self.cache_control = cache_control

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if isinstance(response, FileResponse) and str(full_path).endswith(".js"):
            response.headers["Content-Type"] = JAVASCRIPT
        if self.cache_control:
            response.headers["Cache-Control"] = self.cache_control
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def asset_routes() -> list[Mount]:
    """/assets/v/<version>/… (immutable; any version serves today's files) and /assets/…"""
    return [
        Mount(
            "/assets/v/{version}",
            DashboardAssets(directory=STATIC, cache_control=IMMUTABLE),
            name="dashboard-versioned-assets",
        ),
        Mount("/assets", DashboardAssets(directory=STATIC), name="dashboard-assets"),
    ]


def builder_modules() -> list[str]:
    """The builder's module files (main.js, api.js, …), for the pages to preload."""
    return sorted(path.name for path in BUILDER.glob("*.js"))


def asset_version(directory: Path = BUILDER) -> str:
    """A digest of the modules' names and contents, read again only when a file changed
    (its size or time), so an edited module is a new version without a restart."""
    global _version
    files = sorted(directory.glob("*.js"))
    stats = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if _version is None or _version[0] != stats:
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _version = (stats, digest.hexdigest()[:16])
    return _version[1]
