"""The builder's ES modules over plain HTTP: every one the page's entry reaches is served
as JavaScript (browsers refuse a module otherwise), under a versioned path cached as
immutable; and the package ships them all."""

from __future__ import annotations

import mimetypes
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.dashboard.assets import asset_version
from tests.admin.conftest import TOKEN, ServeApp

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bridge" / "dashboard" / "static"
MODULES = sorted(p.name for p in (STATIC / "builder").glob("*.js"))
PLAIN_ENTRY = "/assets/builder/main.js"
IMPORT = re.compile(r'^import [^;]*? from "(\./[\w-]+\.js)";$', re.M)
ENTRY = re.compile(r'<script type="module" src="(/assets/v/(\w+)/builder/main\.js)"></script>')


def _page(url: str, path: str) -> str:
    with httpx.Client(base_url=url) as client:
        assert client.post("/login", data={"token": TOKEN}).status_code == 303
        return client.get(path).text


def _module_graph(url: str, entry: str) -> dict[str, httpx.Response]:
    """Every module the entry imports, directly or not, fetched as the browser would."""
    seen: dict[str, httpx.Response] = {}
    todo = [entry]
    with httpx.Client(base_url=url) as client:
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen[path] = response = client.get(path)
            folder = path.rsplit("/", 1)[0]
            todo.extend(folder + "/" + name[2:] for name in IMPORT.findall(response.text))
    return seen


@pytest.mark.parametrize("path", ["/rules/new", "/rules/templates", "/rules/audit", "/rules"])
def test_pages_load_and_preload_every_module_under_one_version(
    serve_app: ServeApp, path: str
) -> None:
    """Each page that runs the builder loads main.js under /assets/v/<version>/ and names
    every module there in a modulepreload link (fetched at once, not import by import)."""
    with serve_app() as url:
        page = _page(url, path)
    entry = ENTRY.search(page)
    assert entry and entry.group(2) == asset_version()
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert preloaded == [f"/assets/v/{entry.group(2)}/builder/{name}" for name in MODULES]
    assert len(ENTRY.findall(page)) == 1


def test_every_module_the_entry_reaches_is_immutable_javascript(serve_app: ServeApp) -> None:
    """Each module reachable from the versioned main.js answers 200 as text/javascript,
    nosniff, cached as immutable; every module on disk is reached (none left unused)."""
    with serve_app() as url:
        entry = ENTRY.search(_page(url, "/rules/new"))
        assert entry
        modules = _module_graph(url, entry.group(1))
    for path, response in modules.items():
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/javascript; charset=utf-8", path
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", path
        assert response.headers["x-content-type-options"] == "nosniff", path
    assert sorted(path.rsplit("/", 1)[1] for path in modules) == MODULES


def test_plain_asset_paths_keep_the_usual_caching(serve_app: ServeApp) -> None:
    """Unversioned /assets paths (the stylesheets, live.js, a module named plainly) set no
    Cache-Control of their own, and an unchanged file revalidates as a 304 with no body."""
    with serve_app() as url, httpx.Client(base_url=url) as client:
        first = client.get(PLAIN_ENTRY)
        style = client.get("/assets/builder.css")
        again = client.get(PLAIN_ENTRY, headers={"If-None-Match": first.headers["etag"]})
    assert "cache-control" not in first.headers and "cache-control" not in style.headers
    assert first.headers["content-type"] == "text/javascript; charset=utf-8"
    assert again.status_code == 304 and again.content == b""


def test_the_version_follows_the_modules_contents(tmp_path: Path) -> None:
    """The version is the same while no module changes, and new once one does."""
    folder = tmp_path / "builder"
    shutil.copytree(STATIC / "builder", folder)
    before = asset_version(folder)
    assert asset_version(folder) == before
    (folder / "api.js").write_text((folder / "api.js").read_text() + "\n// changed\n")
    assert asset_version(folder) != before


@pytest.fixture
def js_as_text_plain() -> Iterator[None]:
    """The machine's MIME table says .js is text/plain (as a Windows registry entry can)."""
    mimetypes.add_type("text/plain", ".js")
    try:
        yield
    finally:
        mimetypes.add_type("text/javascript", ".js")


def test_modules_stay_javascript_whatever_the_mime_table_says(
    serve_app: ServeApp, js_as_text_plain: None
) -> None:
    """A machine mapping .js to text/plain still serves the modules as JavaScript; the
    stylesheet keeps the type the table gives it."""
    assert mimetypes.guess_type("x.js")[0] == "text/plain"
    with serve_app() as url, httpx.Client(base_url=url) as client:
        script = client.get(f"/assets/v/{asset_version()}/builder/main.js")
        style = client.get("/assets/builder.css")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert style.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/assets/builder/nope.js",
        "/assets/v/0123/builder/nope.js",
        "/assets/builder/..%2F..%2Fviews.py",
        "/assets/v/x/..%2F..%2Fviews.py",
        "/assets/v/..%2F..%2F/views.py",
    ],
)
def test_missing_or_climbing_asset_paths_are_404(serve_app: ServeApp, path: str) -> None:
    """A module that does not exist, or a path that climbs out of the folder, is a 404."""
    with serve_app() as url:
        response = httpx.get(url + path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_the_package_ships_every_static_file() -> None:
    """The package data globs (as setuptools reads them: files only) cover every file under
    dashboard/static, the builder's modules in their folder included."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["bridge"]
    package = ROOT / "bridge"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    static = {p for p in STATIC.rglob("*") if p.is_file()}
    assert static and static <= shipped, sorted(str(p) for p in static - shipped)
