"""The dashboard in real headless Chromium against the bridge with a real worker."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.admin.conftest import HOOK_SECRET, TOKEN

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
AUTH = {"Authorization": "Bearer " + TOKEN}

pytestmark = pytest.mark.browser


def _wait_for(url: str, path: str, check: str, timeout: float = 20.0) -> dict[str, object]:
    """Poll an admin API path until `check` holds on its JSON (what the worker does is async)."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = httpx.get(url + path, headers=AUTH).json()
        if eval(check, {}, {"body": body}):  # noqa: S307 - the test's own expression
            return body
        assert time.monotonic() < deadline, f"{path}: {check} never held; last {body}"
        time.sleep(0.1)


def _order(url: str, number: int) -> str:
    response = httpx.post(
        url + "/hooks/shop", json={"id": number}, headers={"Authorization": "Bearer " + HOOK_SECRET}
    )
    assert response.status_code == 202, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def _login(page: Page, url: str) -> None:
    page.goto(url + "/")
    expect(page).to_have_url(url + "/login?next=%2F")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")


def test_login_see_run_replay_dead_letter_logout(
    browser: Browser, bridge_with_worker: str, receiver: str
) -> None:
    """Log in, open a run the test caused, replay a dead letter until it succeeds, log out."""
    url = bridge_with_worker
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    httpx.post(receiver + "/_control", json={"fail_next": 1, "fail_status": 400})
    _order(url, 1)
    _wait_for(url, "/api/dlq", "body['total'] == 1")
    _order(url, 2)
    _wait_for(url, "/api/runs?status=succeeded", "len(body['items']) == 1")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, url)
    expect(page.locator(".stat-ok .stat-num").first).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    page.click("nav >> text=Runs")
    rows = page.locator("table.runs tbody tr")
    expect(rows).to_have_count(2)
    page.locator("table.runs tbody tr", has_text="succeeded").locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("notify-chat")
    expect(page.locator(".attempt").first).to_contain_text("HTTP 200")
    expect(page.locator("pre").last).to_contain_text('"id": 2')
    page.screenshot(path=str(ARTIFACTS / "run-detail.png"), full_page=True)

    page.click("nav >> text=Dead letters")
    letters = page.locator("table.dlq tbody tr")
    expect(letters).to_have_count(1)
    expect(letters).to_contain_text("400")
    refused = page.request.post(url + "/dlq/x/replay", form={"nothing": "here"})
    assert refused.status == 403
    letters.locator("button", has_text="Replay").click()
    expect(page.locator(".alert-ok")).to_contain_text("sent back to the queue")
    for _ in range(100):
        if page.locator("h1 .badge").inner_text() == "succeeded":
            break
        time.sleep(0.2)
        page.reload()
    expect(page.locator("h1 .badge")).to_have_text("succeeded")
    deliveries = httpx.get(receiver + "/_deliveries").json()
    assert [d["status"] for d in deliveries] == [400, 200, 200]

    page.click("text=Log out")
    expect(page.locator("h1")).to_have_text("Log in")
    page.goto(url + "/runs")
    expect(page).to_have_url(url + "/login?next=%2Fruns")
    assert "notify-chat" not in page.content()
    page.close()
