"""The builder's pages in headless Chromium load their ES modules cleanly: every script is
JavaScript, nothing fails to load, nothing is logged as an error, and the modules run."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route, expect

from bridge.dashboard.assets import BUILDER
from tests.admin.conftest import HOOK_SECRET, TOKEN, ServeApp

pytestmark = pytest.mark.browser

# Refusals the pages expect and handle, logged by Chromium as failed resources: the dashboard
# has no icon, and the edited rule's type (perfex.leads.*) has no sample event.
EXPECTED_404 = ("/api/samples/perfex.leads.*",)

# Each page, and what shows once its modules ran (they fill it in through the API).
PAGES = [
    ("/rules/new", "#builder-status", "Pick a trigger"),
    ("/rules/new?template=github-issue-to-task", "#builder-status", "Template"),
    ("/rules/lead-to-chat/edit", "#builder-status", "Editing lead-to-chat"),
    ("/rules/templates", "#template-gallery", "Use this template"),
    ("/rules/audit", "table.audit tbody", "No rule has been changed"),
]


def _login(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")


def _failed(request: Request, errors: list[str]) -> None:
    """A failed request is an error, except the icon a navigation cancelled: the browser
    fetches it lazily after the page, and the test moves on to the next page at once."""
    cancelled = (request.failure or "").endswith("ERR_ABORTED")
    if not (cancelled and request.url.endswith("/assets/favicon.svg")):
        errors.append(f"failed: {request.url} ({request.failure})")


def test_builder_pages_load_their_modules_without_errors(
    browser: Browser, serve_app: ServeApp
) -> None:
    """On every builder page each script response is text/javascript, no request fails, the
    console has no error and no exception is thrown; the page's module visibly ran."""
    errors: list[str] = []
    scripts: dict[str, str] = {}

    def on_console(message: ConsoleMessage) -> None:
        where = str(message.location.get("url", ""))
        if message.type == "error" and not where.endswith(EXPECTED_404):
            errors.append(f"console: {message.text} ({where})")

    def on_response(response: Response) -> None:
        if response.request.resource_type == "script" and response.status == 200:  # not a 304
            scripts[response.url] = response.headers.get("content-type", "")

    with serve_app() as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"exception: {exc}"))
        page.on("requestfailed", lambda request: _failed(request, errors))
        page.on("response", on_response)
        _login(page, url)
        for path, where, shown in PAGES:
            page.goto(url + path)
            expect(page.locator(where)).to_contain_text(shown)
            page.wait_for_load_state("networkidle")  # its requests finish before the next page
        page.goto(url + "/rules")
        page.get_by_role("button", name="Disable rule lead-to-chat").click()
        expect(page.locator("#rules-status")).to_contain_text("disabled")
        page.close()
    assert errors == []
    modules = {u.rsplit("/", 1)[1] for u in scripts if "/builder/" in u}
    assert modules == {p.name for p in BUILDER.glob("*.js")}
    assert {u: t for u, t in scripts.items() if not t.startswith("text/javascript")} == {}


def test_a_panel_opened_before_the_rule_loaded_still_fills_in(
    browser: Browser, serve_app: ServeApp
) -> None:
    """The Test panel opened while the edited rule is still on its way lists the stored
    events of the rule's type once it arrives (the rule's answer is held back to be sure)."""
    with serve_app() as url:
        order = httpx.post(
            url + "/hooks/shop", json={"id": 7}, headers={"Authorization": "Bearer " + HOOK_SECRET}
        )
        assert order.status_code == 202, order.text
        event_id = order.json()["event_id"]
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url)
        held: list[Route] = []
        page.route("**/api/rules/order-task", lambda route: held.append(route))
        page.goto(url + "/rules/order-task/edit")
        page.get_by_role("button", name="4 · Test").click()  # enabled once the modules ran
        expect(page.get_by_role("heading", name="4. Test it")).to_be_visible()
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the builder never asked for the rule"
        held[0].continue_()
        expect(page.locator("#builder-status")).to_contain_text("Editing order-task")
        events = page.get_by_label("Event to test with").locator("option", has_text=event_id)
        expect(events).to_have_count(1)
        page.close()
