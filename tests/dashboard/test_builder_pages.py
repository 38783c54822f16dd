"""The builder's pages over plain HTTP: behind the login, strict CSP, hostile names refused."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.admin.conftest import TOKEN, ServeApp

ENTRY = re.compile(r'<script type="module" src="/assets/v/\w+/builder/main\.js"></script>')

PAGES = [
    "/rules/new",
    "/rules/new?template=github-issue-to-task",
    "/rules/templates",
    "/rules/audit",
    "/rules/lead-call-task/edit",
]


@pytest.mark.parametrize("path", PAGES)
def test_builder_pages_need_a_session(serve_app: ServeApp, path: str) -> None:
    """Without a session every builder page redirects to the login page and shows nothing."""
    with serve_app() as url:
        response = httpx.get(url + path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Frules%2F")


@pytest.mark.parametrize("path", PAGES)
def test_builder_pages_are_shells_under_the_strict_csp(serve_app: ServeApp, path: str) -> None:
    """Each page loads the builder's entry module from /assets (no inline script) and carries
    the CSRF token for the JS, under the dashboard's Content-Security-Policy."""
    with serve_app() as url, httpx.Client(base_url=url) as client:
        assert client.post("/login", data={"token": TOKEN}).status_code == 303
        response = client.get(path)
        script = client.get("/assets/builder/api.js")
        style = client.get("/assets/builder.css")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert ENTRY.search(response.text)
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), "an inline script"
    assert re.search(r'<meta name="csrf-token" content="[\w-]{20,}">', response.text)
    assert script.status_code == 200 and "X-CSRF-Token" in script.text
    assert style.status_code == 200


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "a" * 200]
)
def test_edit_refuses_a_hostile_rule_name(serve_app: ServeApp, name: str) -> None:
    """A rule name that cannot be a rule's (path parts, markup, too long) is a 404 page that
    does not echo it as markup."""
    with serve_app() as url, httpx.Client(base_url=url) as client:
        client.post("/login", data={"token": TOKEN})
        response = client.get(f"/rules/{name}/edit")
    assert response.status_code == 404
    assert "<script>alert" not in response.text


def test_template_id_is_escaped(serve_app: ServeApp) -> None:
    """A template id in the query string lands in an attribute escaped, never as markup."""
    with serve_app() as url, httpx.Client(base_url=url) as client:
        client.post("/login", data={"token": TOKEN})
        response = client.get('/rules/new?template="><script>alert(1)</script>')
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert 'data-name="&#34;&gt;&lt;script&gt;' in response.text


def test_rules_page_offers_new_edit_template_and_changes(serve_app: ServeApp) -> None:
    """The Rules page links the builder: New rule, Start from a template, Rule changes, and
    Edit / Disable on each rule, each with a name a screen reader can tell apart."""
    with serve_app() as url, httpx.Client(base_url=url) as client:
        client.post("/login", data={"token": TOKEN})
        page = client.get("/rules").text
    assert 'href="/rules/new"' in page and 'href="/rules/templates"' in page
    assert 'href="/rules/audit"' in page
    edits = re.findall(
        r'href="/rules/([^"/]+)/edit">Edit<span class="sr-only"> rule ([^<]+)<', page
    )
    assert edits and all(link == name for link, name in edits)
    assert re.search(r'data-enable="[^"]+" data-value="false">Disable<span', page)
