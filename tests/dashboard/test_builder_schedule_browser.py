"""The rule builder with schedules and push triggers, in real headless Chromium against
`bridge up` on the Perfex sandbox: a schedule rule built through the UI runs on its own."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Browser, expect

from tests.dashboard.test_builder_browser import (
    Bridge,
    _assert_all_labelled,
    _login,
    _reload_until,
    _shot,
    bridge,
)

__all__ = ["bridge"]  # the fixture, shared with the builder's other browser tests

pytestmark = pytest.mark.browser


def test_trigger_search_finds_push_events_and_schedule_presets(
    browser: Browser, bridge: Bridge
) -> None:
    """Searching the triggers finds a pushed event by its title and the schedule trigger by
    the title of one of its presets."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, bridge.url)
    page.goto(bridge.url + "/rules/new")
    page.get_by_label("Search triggers").fill("paid in full")
    page.get_by_label("An invoice is paid in full").check()
    expect(page.locator("#trigger-chosen")).to_contain_text("An invoice is paid in full")
    expect(page.locator(".trigger-needs code").first).to_have_text("verify: perfex")
    _shot(page, "push-trigger")
    page.get_by_label("Search triggers").fill("every weekday")
    expect(page.get_by_label("On a schedule (for example every Monday at 9:00)")).to_be_visible()
    page.close()


def test_build_a_schedule_rule_see_it_run_and_disable_it(browser: Browser, bridge: Bridge) -> None:
    """Through the UI: a rule every 2 s that tells the chat, tried, saved, seen in the run
    history of the running bridge with its next run on the Rules page, then disabled."""
    url = bridge.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, url)
    page.goto(url + "/rules/new")
    page.get_by_label("Search triggers").fill("every monday")
    page.get_by_label("On a schedule (for example every Monday at 9:00)").check()
    page.get_by_label("Common schedules").select_option(label="Every Monday at 9:00")
    expect(page.get_by_label("Cron expression")).to_have_value("0 9 * * 1")
    expect(page.get_by_label("Time zone")).to_be_visible()
    _shot(page, "schedule")
    page.get_by_label("Kind of schedule").select_option("every")
    expect(page.get_by_label("Time zone")).to_be_hidden()  # an `every:` has no time zone
    page.get_by_label("Every", exact=True).fill("2s")
    page.get_by_role("button", name="Next: conditions").click()
    page.get_by_role("button", name="Next: actions").click()
    page.get_by_label("Search actions").fill("webhook")
    page.get_by_role("button", name="Add: Send a webhook").click()
    step = page.get_by_role("group", name="Step 1: Send a webhook")
    step.get_by_label("url", exact=True).fill("${CHAT_WEBHOOK_URL}")
    step.get_by_label("body key 1", exact=True).fill("text")
    step.get_by_label("body value 1", exact=True).fill("Tick {{ event.data.scheduled_for }}")
    _assert_all_labelled(page)
    page.get_by_role("button", name="Next: test").click()
    page.get_by_role("button", name="Run the test").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("The rule matches this event")
    expect(result).to_contain_text("Tick ")
    _shot(page, "schedule-test")
    page.get_by_role("button", name="Next: save").click()
    page.get_by_label("Rule name", exact=True).fill("tick-to-chat")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#save-result")).to_contain_text("Saved tick-to-chat (enabled)")
    text = (bridge.rules / "tick-to-chat.yml").read_text()
    assert "on: schedule" in text and "every: 2s" in text, text

    page.goto(url + "/runs?rule=tick-to-chat")
    _reload_until(page, "table.runs tbody tr", "succeeded", timeout=45)
    expect(page.locator("table.runs tbody tr", has_text="tick-to-chat").first).to_contain_text(
        "succeeded"
    )
    assert any("Tick " in d["body"] for d in bridge.chat())

    # Edited, it is tried on one of its own stored ticks, chosen from the list.
    page.goto(url + "/rules/tick-to-chat/edit")
    page.get_by_role("button", name="4 · Test").click()
    ticks = page.get_by_label("Event to test with").locator(
        "option", has_text="schedule.tick-to-chat"
    )
    expect(ticks.first).to_be_attached()
    tick_id = ticks.first.get_attribute("value")
    assert tick_id
    page.get_by_label("Event to test with").select_option(tick_id)
    page.get_by_role("button", name="Run the test").click()
    expect(page.locator("#test-result")).to_contain_text("The rule matches this event")

    page.goto(url + "/rules")
    card = page.locator(".rule", has_text="tick-to-chat")
    expect(card).to_contain_text("next run")
    expect(card.get_by_role("link", name="Edit rule tick-to-chat")).to_be_visible()
    _shot(page, "schedule-rules")
    page.get_by_role("button", name="Disable rule tick-to-chat").click()
    expect(page.get_by_role("status")).to_contain_text("disabled")
    assert "enabled: false" in (bridge.rules / "tick-to-chat.yml").read_text()
    page.reload()
    _reload_until(page, ".rule", "switched off: it does not run")  # hot reload: loaded, off
    time.sleep(1)  # a tick enqueued just before the reload may still finish
    before = len(bridge.chat())
    time.sleep(5)  # two and a half periods: a switched-off schedule does not fire
    assert len(bridge.chat()) == before
    card = page.locator(".rule", has_text="tick-to-chat")
    expect(card).not_to_contain_text("next run")
    expect(card.get_by_role("button", name="Enable rule tick-to-chat")).to_be_visible()
    _shot(page, "schedule-disabled")
    page.close()


def test_the_dry_run_shows_for_each_items_and_a_delay(browser: Browser, bridge: Bridge) -> None:
    """A for_each (nested webhook on `item`, JSON in its `do` box) and a delay, tried in the
    builder: the list's item count, the first item's rendered request, the resume time."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, bridge.url)
    page.goto(bridge.url + "/rules/new")
    page.get_by_label("Search triggers").fill("schedule")
    page.get_by_label("On a schedule (for example every Monday at 9:00)").check()
    page.get_by_role("button", name="Next: conditions").click()
    page.get_by_role("button", name="Next: actions").click()
    page.get_by_label("Search actions").fill("repeat")
    page.get_by_role("button", name="Add: Repeat steps for each item of a list").click()
    fan = page.get_by_role("group", name="Step 1: Repeat steps for each item of a list")
    fan.get_by_label("for_each", exact=True).fill(
        "{{ [{'id': '7', 'status': '4'}, {'id': '8', 'status': '2'}] }}"
    )
    nested = [
        {
            "if": "item.status == '4'",
            "webhook": {"url": "https://chat.example.com/hook", "body": {"text": "{{ item.id }}"}},
        }
    ]
    fan.get_by_label("do", exact=True).fill(json.dumps(nested))
    fan.get_by_label("do", exact=True).press("Tab")
    page.get_by_label("Search actions").fill("wait")
    page.get_by_role("button", name="Add: Wait before the next step").click()
    wait = page.get_by_role("group", name="Step 2: Wait before the next step")
    wait.get_by_label("delay", exact=True).fill("2h")
    page.get_by_role("button", name="Next: test").click()
    page.get_by_role("button", name="Run the test").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Runs its steps once per item: 2 items in the list.")
    expect(result.get_by_label("Rendered request of step 1.1")).to_contain_text('"text": "7"')
    expect(result).to_contain_text("Waits 7200 s: the run would go on at ")
    _shot(page, "flow-test")
    page.close()
