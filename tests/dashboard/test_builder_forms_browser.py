"""Builder paths the end-to-end tests do not walk, in headless Chromium on the web app alone:
the Advanced expression box, removing a condition, and a new hook's verification scheme."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.admin.conftest import TOKEN, ServeApp

pytestmark = pytest.mark.browser


def _new_rule(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + "/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")
    page.goto(url + "/rules/new")
    expect(page.locator("#builder-status")).to_contain_text("Pick a trigger")
    return page


def test_an_expression_becomes_rows_or_is_kept_as_written(
    browser: Browser, serve_app: ServeApp
) -> None:
    """An expression the rows can show is shown as rows (removing one gives the focus to Add
    a condition); one they cannot show is kept as written, and the rows box says so."""
    with serve_app() as url:
        page = _new_rule(browser, url)
        page.get_by_label("Search triggers").fill("new lead")
        page.get_by_label("A new lead is added in Perfex").check()
        page.get_by_role("button", name="2 · Conditions").click()
        page.get_by_text("Advanced: the condition as an expression").click()
        page.get_by_label("Condition expression").fill("event.data.status == '2'")
        page.get_by_role("button", name="Use this expression").click()
        expect(page.locator("#cond-note")).to_have_text("The expression is shown as rows above.")
        expect(page.get_by_label("Field of condition 1")).to_have_value("event.data.status")
        expect(page.get_by_label("Value of condition 1")).to_have_value("2")
        page.get_by_role("button", name="Remove condition 1").click()
        expect(page.locator(".cond-row")).to_have_count(0)
        expect(page.get_by_role("button", name="Add a condition")).to_be_focused()

        page.get_by_label("Condition expression").fill("(event.data.company | length > 3)")
        page.get_by_role("button", name="Use this expression").click()
        expect(page.locator("#cond-note")).to_have_text("Kept as a hand-written expression.")
        expect(page.locator("#cond-rows")).to_contain_text("cannot be shown as rows")
        page.get_by_role("button", name="5 · Save").click()
        expect(page.locator("#rule-summary")).to_contain_text(
            "Only if: (event.data.company | length > 3)"
        )
        page.close()


def test_a_new_hooks_scheme_asks_for_what_it_needs(browser: Browser, serve_app: ServeApp) -> None:
    """Choosing hmac for a new hook asks for the signature header and keeps the focus on
    the choice; the hook's URL follows its name."""
    with serve_app() as url:
        page = _new_rule(browser, url)
        page.get_by_label("Search triggers").fill("webhook arrives")
        page.get_by_label("A webhook arrives from another service", exact=False).check()
        page.get_by_label("Hook name").fill("orders")
        expect(page.locator("#hook-url")).to_have_text(url + "/hooks/orders")
        page.get_by_label("Verification").select_option("hmac")
        expect(page.get_by_label("Header carrying the signature")).to_be_visible()
        expect(page.get_by_label("Verification")).to_be_focused()
        expect(page.get_by_label("Username (the password is the secret)")).to_have_count(0)
        page.get_by_label("Verification").select_option("basic")
        expect(page.get_by_label("Username (the password is the secret)")).to_be_visible()
        page.close()
