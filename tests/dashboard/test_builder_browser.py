"""The rule builder in real headless Chromium against `bridge up` on the Perfex sandbox.

Everything a person does goes through the UI (labels, buttons, the keyboard); the test
only reads the admin API to wait for what is asynchronous (the poller storing an event).
Screenshots of each step go to tests/artifacts/; `BRIDGE_DOCS_SCREENSHOTS=1` writes them
to docs/builder-*.png instead, the README's pictures.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.receiver import create_receiver
from bridge.loopback.servers import free_port, serve_in_thread
from bridge.sandbox.app import create_app as create_sandbox

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ("docs" if os.environ.get("BRIDGE_DOCS_SCREENSHOTS") else "tests/artifacts")
ADMIN = "builder-test-admin-token-0123456789"
SANDBOX_TOKEN = "builder-test-perfex"
CONTROL = {"X-Sandbox-Token": SANDBOX_TOKEN}

pytestmark = pytest.mark.browser

HAND_WRITTEN = """\
# Written by hand: the builder keeps this comment.
rules:
  - name: big-deals
    on: perfex.customers.created
    if: event.data.company != ''    # companies only
    do:
      - webhook:
          url: ${CHAT_WEBHOOK_URL}
          body: {text: "A company lead: {{ event.data.company }}"}
  - name: office-hours
    on: perfex.customers.created
    if: (event.data.company | length > 3) or now.hour < 9   # no rows can say this
    do:
      - webhook: {url: "${CHAT_WEBHOOK_URL}", body: {text: "{{ event.data.company }}"}}
  - name: needs-a-secret
    on: perfex.customers.created
    enabled: false
    do:
      - webhook: {url: "${NEVER_SET_URL}", body: {text: "hi"}}
  - name: every-lead-seen     # the tests' sentinel: once it ran, the lead was routed
    on: perfex.leads.created
    do:
      - webhook: {url: "${SEEN_URL}", body: {lead: "{{ event.data.name }}"}}
"""


@dataclass
class Bridge:
    url: str
    sandbox: str
    receiver: str
    rules: Path
    process: BridgeProcess

    def api(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers={"Authorization": f"Bearer {ADMIN}"})

    def add_lead(self, name: str, company: str) -> None:
        created = httpx.post(
            f"{self.sandbox}/_sandbox/records/leads",
            headers=CONTROL,
            json={"name": name, "company": company, "email": f"{name.split()[0]}@example.com"},
        )
        assert created.status_code in (200, 201), created.text

    def chat(self) -> list[dict[str, Any]]:
        """What the chat tool received (the sentinel's deliveries left out)."""
        deliveries: list[dict[str, Any]] = httpx.get(self.receiver + "/_deliveries").json()
        return [d for d in deliveries if d["path"] == "/chat"]

    def wait_routed(self, name: str, timeout: float = 30) -> None:
        """Wait until the lead went through the router: the sentinel rule delivered it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            deliveries = httpx.get(self.receiver + "/_deliveries").json()
            if any(d["path"] == "/seen" and name in d["body"] for d in deliveries):
                time.sleep(1)  # the same routing pass enqueued any other matching rule's job
                return
            time.sleep(0.3)
        raise AssertionError(f"the lead {name!r} was never routed")

    def wait_event(self, name: str, timeout: float = 30) -> None:
        """Wait until the poller stored the lead's event (what happens next is the rules')."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.api("/api/events?type=perfex.leads.created").json()["items"]
            if any(item.get("data", {}).get("name") == name for item in items):
                return
            time.sleep(0.3)
        raise AssertionError(f"the poller never stored the lead {name!r}")


def _wait_first_poll(base: str, timeout: float = 30) -> None:
    """Until the leads poller finished a pass: its first only takes a baseline of what
    exists, so a lead a test adds before then would never be `created`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(base + "/api/pollers", headers={"Authorization": f"Bearer {ADMIN}"})
        if any(p["resource"] == "leads" and p.get("last_success") for p in answer.json()["items"]):
            return
        time.sleep(0.2)
    raise AssertionError("the leads poller never finished its first pass")


@contextmanager
def _running_bridge(tmp_path: Path, rules: Path) -> Iterator[Bridge]:
    """`bridge up` (web + worker + poller, embedded Valkey) on the seeded sandbox."""
    with ExitStack() as stack:
        sandbox = stack.enter_context(
            serve_in_thread(create_sandbox(token=SANDBOX_TOKEN, seed=True), access_log=False)
        )
        receiver = stack.enter_context(serve_in_thread(create_receiver(), access_log=False))
        port = free_port()
        env = {
            "BRIDGE_PERFEX_URL": f"{sandbox}/api",
            "BRIDGE_PERFEX_TOKEN": SANDBOX_TOKEN,
            "BRIDGE_ADMIN_TOKEN": ADMIN,
            "BRIDGE_RULES": str(rules),
            "BRIDGE_REDIS_URL": "",
            "BRIDGE_DATA_DIR": str(tmp_path / "data"),
            "BRIDGE_PORT": str(port),
            "BRIDGE_POLL_INTERVAL": "1",
            "BRIDGE_POLL_RESOURCES": "leads",
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "CHAT_WEBHOOK_URL": f"{receiver}/chat",
            "SEEN_URL": f"{receiver}/seen",
            "SHOP_SECRET": "builder-test-shop-secret",
        }
        process = BridgeProcess("up", env=env, log_path=tmp_path / "bridge.log", cwd=tmp_path)
        process.start()
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + "/healthz", process=process, timeout=60)
            _wait_first_poll(base)
            yield Bridge(base, sandbox, receiver, rules, process)
        finally:
            code = process.stop()
            assert code in (0, -15), process.log()[-3000:]


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Bridge]:
    """The bridge on a rules directory it may write."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "hand-written.yml").write_text(HAND_WRITTEN)
    with _running_bridge(tmp_path, rules) as bridge:
        yield bridge


@pytest.fixture
def read_only_bridge(tmp_path: Path) -> Iterator[Bridge]:
    """The bridge on one rules file (as from a ConfigMap): the builder may not save there."""
    rules = tmp_path / "rules.yml"
    rules.write_text(HAND_WRITTEN)
    with _running_bridge(tmp_path, rules) as bridge:
        yield bridge


def _login(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Admin token").fill(ADMIN)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Overview")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"builder-{name}.png"), full_page=True)


def _pick(page: Page, into: str, field: str) -> None:
    """Open the field picker of one input and choose a field by its name."""
    page.get_by_role("button", name=f"Insert a field into {into}", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Insert a field into {into}")
    dialog.get_by_label("Find a field").fill(field)
    dialog.get_by_role("button").filter(has_text=field).first.click()


def _pick_by_keyboard(page: Page, into: str, search: str) -> None:
    """The same with the keyboard alone: Enter opens, type, arrow down, Enter inserts."""
    page.get_by_role("button", name=f"Insert a field into {into}", exact=True).focus()
    page.keyboard.press("Enter")
    page.keyboard.type(search)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


def _reload_until(page: Page, selector: str, text: str, timeout: float = 30) -> None:
    """Reload a page until an element with that text shows (what the bridge does is async)."""
    deadline = time.monotonic() + timeout
    while not page.locator(selector, has_text=text).count():
        assert time.monotonic() < deadline, f"{selector} with {text!r} never showed"
        time.sleep(0.5)
        page.reload()


UNLABELLED = """() => Array.from(document.querySelectorAll("input, select, textarea, button"))
  .filter(el => el.type !== "hidden")
  .filter(el => !((el.labels && el.labels.length) || el.getAttribute("aria-label")
    || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim())))
  .map(el => el.outerHTML.slice(0, 120))"""


def _assert_all_labelled(page: Page) -> None:
    """Every control on the page, shown or not, has a name a screen reader reads out."""
    assert page.evaluate(UNLABELLED) == []


def _runs_of(page: Page, url: str, rule: str) -> int:
    page.goto(f"{url}/runs?rule={rule}")
    return page.locator("table.runs tbody tr", has_text=rule).count()


def test_build_test_save_run_edit_disable(browser: Browser, bridge: Bridge) -> None:
    """From scratch through the UI: new lead -> task + webhook, tested, saved, run on a
    real lead (both steps succeed), condition edited, rule disabled: the next lead does
    nothing."""
    url = bridge.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, url)
    page.get_by_role("link", name="Rules & hooks").click()
    page.get_by_role("link", name="New rule").click()
    expect(page.locator("h1")).to_have_text("New rule")

    # 1. trigger
    page.get_by_label("Search triggers").fill("new lead")
    page.get_by_label("A new lead is added in Perfex").check()
    expect(page.locator("#trigger-chosen")).to_contain_text("A new lead is added in Perfex")
    _shot(page, "1-trigger")
    page.get_by_role("button", name="Next: conditions").click()

    # 2. conditions: one row, compiled to `if:` (shown in the advanced box)
    page.get_by_role("button", name="Add a condition").click()
    page.get_by_label("Field of condition 1").fill("event.data.email")
    page.get_by_label("Operator of condition 1").select_option("is not empty")
    page.get_by_label("Operator of condition 1").press("Tab")
    page.get_by_text("Advanced: the condition as an expression").click()
    expect(page.get_by_label("Condition expression")).to_have_value(
        re.compile(r"event\.data\.email")
    )
    _shot(page, "2-conditions")
    page.get_by_role("button", name="Next: actions").click()

    # 3. actions: a task from the lead, then a webhook naming the task
    page.get_by_label("Search actions").fill("create a task")
    page.get_by_role("button", name="Add: Create a task in Perfex").click()
    step1 = page.get_by_role("group", name="Step 1: Create a task in Perfex")
    step1.get_by_label("name", exact=True).fill("Call ")
    _pick(page, "name of step 1", "event.data.name")
    _pick_by_keyboard(page, "startdate of step 1", "today")
    expect(step1.get_by_label("startdate", exact=True)).to_have_value(
        "{{ now.strftime('%Y-%m-%d') }}"
    )
    step1.get_by_label("rel_type", exact=True).select_option("lead")
    step1.get_by_text("More fields").click()
    _pick(page, "rel_id of step 1", "event.data.id")
    page.get_by_label("Search actions").fill("webhook")
    page.get_by_role("button", name="Add: Send a webhook").click()
    step2 = page.get_by_role("group", name="Step 2: Send a webhook")
    step2.get_by_label("url", exact=True).fill("${CHAT_WEBHOOK_URL}")
    step2.get_by_label("url", exact=True).press("Tab")
    expect(step2.locator("[data-field=url] .env-state")).to_contain_text("CHAT_WEBHOOK_URL is set")
    step2.get_by_label("body key 1", exact=True).fill("text")
    step2.get_by_label("body value 1", exact=True).fill("New lead: ")
    _pick(page, "body value 1 of step 2", "event.data.name")
    step2.get_by_role("button", name="Add a body field to step 2").click()
    step2.get_by_label("body key 2", exact=True).fill("task")
    _pick(page, "body value 2 of step 2", "steps.task.status")
    # A third step, added, moved and removed with the keyboard alone.
    page.get_by_label("Search actions").fill("wait")
    page.get_by_label("Search actions").press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Step 3: Wait before the next step")).to_be_visible()
    page.get_by_role("button", name="Move step 3 up").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Step 2: Wait before the next step")).to_be_visible()
    expect(page.get_by_role("group", name="Step 3: Send a webhook")).to_be_visible()
    page.get_by_role("button", name="Remove step 2").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".step-edit")).to_have_count(2)
    expect(page.get_by_role("group", name="Step 2: Send a webhook")).to_be_visible()
    _assert_all_labelled(page)
    page.get_by_label("Search actions").fill("")
    _shot(page, "3-actions")
    page.get_by_role("button", name="Next: test").click()

    # 4. test: the dry run on the sample lead shows the rendered task
    page.get_by_role("button", name="Run the test").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Create a task in Perfex")
    expect(result).to_contain_text("POST /tasks")
    expect(result).to_contain_text("The rule matches this event")
    expect(result).to_contain_text("rel_type=lead")
    expect(result).to_contain_text("name = Call ")
    expect(result).to_contain_text("authtoken: [redacted]")
    assert bridge.receiver not in result.inner_text(), "the chat URL (a secret) was shown"
    _shot(page, "4-test")
    page.get_by_role("button", name="Next: save").click()

    # 5. save, enabled; it shows in the rules list
    expect(page.get_by_role("button", name="Delete rule")).to_be_hidden()  # nothing to delete yet
    page.get_by_label("Rule name", exact=True).fill("lead-call-task")
    page.get_by_label("Description", exact=True).fill("Call every new lead and tell the chat.")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#save-result")).to_contain_text("Saved lead-call-task (enabled)")
    _shot(page, "5-save")
    page.get_by_role("link", name="See it in the rules list").click()
    _reload_until(page, ".rule", "lead-call-task")  # the bridge's hot reload, seconds
    expect(page.locator(".rule", has_text="lead-call-task")).to_contain_text("perfex.tasks.create")
    assert (bridge.rules / "lead-call-task.yml").exists()

    # A lead arrives: both steps succeed in the run history.
    bridge.add_lead("Ada Lovelace", "Acme Ltd")
    page.get_by_role("link", name="Runs").click()
    _reload_until(page, "table.runs tbody tr:has-text('lead-call-task')", "succeeded")
    row = page.locator("table.runs tbody tr", has_text="lead-call-task").first
    expect(row).to_contain_text("succeeded")
    row.locator("a").first.click()
    expect(page.locator(".step")).to_have_count(2)
    expect(page.locator(".step").nth(0)).to_contain_text("succeeded")
    expect(page.locator(".step").nth(1)).to_contain_text("succeeded")
    _shot(page, "6-run")
    deliveries = bridge.chat()
    assert len(deliveries) == 1, deliveries
    assert json.loads(deliveries[0]["body"]) == {"text": "New lead: Ada Lovelace", "task": 200}

    # Edit it: tested on the stored event of the lead that just ran, chosen from a list;
    # then the condition changes to Globex leads only.
    page.goto(url + "/rules")
    page.get_by_role("link", name="Edit rule lead-call-task").click()
    page.get_by_role("button", name="4 · Test").click()
    stored = page.get_by_label("Event to test with")
    expect(stored.locator("option", has_text="Ada Lovelace")).to_have_count(1)
    stored.select_option(label=stored.locator("option", has_text="Ada Lovelace").inner_text())
    page.get_by_role("button", name="Run the test").click()
    expect(page.locator("#test-result")).to_contain_text("name = Call Ada Lovelace")
    page.get_by_role("button", name="2 · Conditions").click()
    expect(page.get_by_label("Field of condition 1")).to_have_value("event.data.email")
    page.get_by_label("Field of condition 1").fill("event.data.company")
    page.get_by_label("Operator of condition 1").select_option("contains")
    page.get_by_label("Value of condition 1").fill("Globex")
    page.get_by_label("Value of condition 1").press("Tab")
    page.get_by_role("button", name="5 · Save").click()
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#save-result")).to_contain_text("Saved lead-call-task")
    assert "Globex" in (bridge.rules / "lead-call-task.yml").read_text()
    page.goto(url + "/rules")
    _reload_until(page, ".rule", "Globex")  # hot reload: the running bridge has the edit
    bridge.add_lead("Grace Hopper", "Acme Two")
    bridge.wait_routed("Grace Hopper")

    # Disable it on the Rules page: the next (matching) lead does nothing either.
    page.goto(url + "/rules")
    page.get_by_role("button", name="Disable rule lead-call-task").click()
    expect(page.get_by_role("status")).to_contain_text("disabled")
    expect(page.locator(".rule", has_text="lead-call-task")).to_contain_text("disabled")
    assert "enabled: false" in (bridge.rules / "lead-call-task.yml").read_text()
    page.reload()
    # hot reload: loaded, switched off (its own badge: another rule shows "disabled" too)
    _reload_until(page, ".rule:has-text('lead-call-task') .badge", "disabled")
    bridge.add_lead("Katherine Johnson", "Globex")
    bridge.wait_routed("Katherine Johnson")
    assert _runs_of(page, url, "lead-call-task") == 1
    assert len(bridge.chat()) == 1

    page.goto(url + "/rules/audit")
    expect(page.locator("table.audit tbody tr")).to_have_count(3)
    _shot(page, "audit")
    page.close()


def test_start_from_a_template_fill_its_needs_and_save(browser: Browser, bridge: Bridge) -> None:
    """Start from a gallery template, give its secret's variable and its ids, save it."""
    url = bridge.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, url)
    page.goto(url + "/rules")
    page.get_by_role("link", name="Start from a template").click()
    expect(page.locator("h1")).to_have_text("Start from a template")
    page.get_by_label("Search templates").fill("GitHub")
    _shot(page, "templates")
    page.get_by_role("link", name="Use this template").first.click()
    expect(page.locator("#builder-status")).to_contain_text("Template")
    page.get_by_label("Environment variable holding the secret").fill("SHOP_SECRET")
    page.get_by_label("Environment variable holding the secret").press("Tab")
    expect(page.locator(".secret-state")).to_contain_text("SHOP_SECRET is set")
    page.get_by_role("button", name="3 · Actions").click()
    _assert_all_labelled(page)
    needed = page.locator(".needs input, .needs select")
    assert needed.count() >= 1
    for i in range(needed.count()):
        needed.nth(i).fill("3")
    page.get_by_role("button", name="5 · Save").click()
    page.get_by_label("Rule name", exact=True).fill("issues-to-tasks")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#save-result")).to_contain_text("Saved issues-to-tasks")
    text = (bridge.rules / "issues-to-tasks.yml").read_text()
    assert "${SHOP_SECRET}" in text and "builder-test-shop-secret" not in text
    page.close()


def test_two_editors_the_second_sees_the_difference(browser: Browser, bridge: Bridge) -> None:
    """Two people edit one rule: the second save is refused with the difference shown; they
    load the current version, save again, and the hand-written comments are still there."""
    url = bridge.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    first, second = context.new_page(), context.new_page()
    _login(first, url)
    for page in (first, second):
        page.goto(url + "/rules/big-deals/edit")
        expect(page.locator("#builder-status")).to_contain_text("Editing big-deals")
        page.get_by_role("button", name="5 · Save").click()
    first.get_by_label("Description", exact=True).fill("Set by the first editor")
    first.get_by_role("button", name="Save rule").click()
    expect(first.locator("#save-result")).to_contain_text("Saved big-deals")

    second.get_by_label("Description", exact=True).fill("Set by the second editor")
    second.get_by_role("button", name="Save rule").click()
    conflict = second.locator("#save-result")
    expect(conflict).to_contain_text("Someone else changed this rule")
    expect(conflict.get_by_label("Difference")).to_contain_text("Set by the first editor")
    _shot(second, "conflict")
    second.get_by_role("button", name="Load their version").click()
    expect(second.get_by_label("Description", exact=True)).to_have_value("Set by the first editor")
    second.get_by_label("Description", exact=True).fill("Agreed by both")
    second.get_by_role("button", name="Save rule").click()
    expect(second.locator("#save-result")).to_contain_text("Saved big-deals")
    text = (bridge.rules / "hand-written.yml").read_text()
    assert "Agreed by both" in text
    assert "# Written by hand: the builder keeps this comment." in text
    assert "if: event.data.company != ''    # companies only" in text, "the if: was rewritten"

    second.once("dialog", lambda dialog: dialog.accept())
    second.get_by_role("button", name="Delete rule").click()
    expect(second.locator("#save-result")).to_contain_text("Deleted big-deals")
    gone = bridge.rules / "hand-written.yml"
    assert not gone.exists() or "big-deals" not in gone.read_text()
    context.close()


def test_read_only_rules_offer_the_yaml_of_a_new_hook_rule(
    browser: Browser, read_only_bridge: Bridge
) -> None:
    """Rules in one read-only file: a rule on a new inbound hook is built and tested as
    usual, and saving offers its YAML (the hook's secret as ${VAR}) to copy or download."""
    url = read_only_bridge.url
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    _login(page, url)
    page.goto(url + "/rules/new")
    page.get_by_label("Search triggers").fill("webhook arrives")
    page.get_by_label("A webhook arrives from another service", exact=False).check()
    page.get_by_label("Hook name").fill("shop")
    page.get_by_label("Verification").select_option("token")
    page.get_by_label("Environment variable holding the secret").fill("SHOP_SECRET")
    page.get_by_label("Environment variable holding the secret").press("Tab")
    expect(page.locator(".secret-state")).to_contain_text("SHOP_SECRET is set")
    expect(page.locator("#hook-url")).to_have_text(url + "/hooks/shop")
    page.get_by_role("button", name="3 · Actions").click()
    page.get_by_label("Search actions").fill("webhook")
    page.get_by_role("button", name="Add: Send a webhook").click()
    step = page.get_by_role("group", name="Step 1: Send a webhook")
    step.get_by_label("url", exact=True).fill("${CHAT_WEBHOOK_URL}")
    step.get_by_label("body value 1", exact=True).fill("An order arrived")
    page.get_by_role("button", name="4 · Test").click()
    page.get_by_role("button", name="Run the test").click()
    expect(page.locator("#test-result")).to_contain_text("An order arrived")
    page.get_by_role("button", name="5 · Save").click()
    page.get_by_label("Rule name", exact=True).fill("shop-orders")
    page.get_by_role("button", name="Save rule").click()
    result = page.locator("#save-result")
    expect(result).to_contain_text("The rules live in a read-only place")
    yaml = result.get_by_label("YAML of the rule")
    expect(yaml).to_have_value(re.compile(r"name: shop-orders"))
    text = yaml.input_value()
    assert "${SHOP_SECRET}" in text and "builder-test-shop-secret" not in text
    assert "name: shop" in text and "verify: token" in text
    _assert_all_labelled(page)
    _shot(page, "read-only")
    with page.expect_download() as download:
        result.get_by_role("link", name="Download YAML").click()
    assert download.value.suggested_filename == "shop-orders.yml"
    assert Path(download.value.path()).read_text() == text
    assert "shop-orders" not in read_only_bridge.rules.read_text()
    page.close()


def _tab_to(page: Page, target: Locator, limit: int = 200) -> None:
    """Press Tab until `target` has the focus: it is reachable with the keyboard alone."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} is not reachable with Tab")


def test_a_rule_built_and_saved_with_the_keyboard_alone(browser: Browser, bridge: Bridge) -> None:
    """Log in, pick a trigger, add a step, insert a field, test and save switched off: Tab,
    typing, Space and Enter only, no mouse; a sample lead named with markup stays text."""
    url = bridge.url
    hostile = '<img src=x onerror="window.pwned=1">'
    bridge.add_lead(hostile, "Hostile Ltd")
    bridge.wait_event(hostile)  # the newest stored lead: the builder's sample
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    keys = page.keyboard
    page.goto(url + "/login")
    _tab_to(page, page.get_by_label("Admin token"))
    keys.type(ADMIN)
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Overview")
    _tab_to(page, page.get_by_role("link", name="Rules & hooks"))
    keys.press("Enter")
    _tab_to(page, page.get_by_role("link", name="New rule"))
    keys.press("Enter")
    expect(page.locator("#builder-status")).to_contain_text("Pick a trigger")

    _tab_to(page, page.get_by_label("Search triggers"))
    keys.type("new lead")
    _tab_to(page, page.get_by_label("A new lead is added in Perfex"))
    keys.press("Space")
    expect(page.locator("#trigger-chosen")).to_contain_text("A new lead is added in Perfex")
    _tab_to(page, page.get_by_role("button", name="Next: conditions"))
    keys.press("Enter")
    _tab_to(page, page.get_by_role("button", name="Next: actions"))
    keys.press("Enter")

    _tab_to(page, page.get_by_label("Search actions"))
    keys.type("webhook")
    _tab_to(page, page.get_by_role("button", name="Add: Send a webhook"))
    keys.press("Enter")
    step = page.get_by_role("group", name="Step 1: Send a webhook")
    _tab_to(page, step.get_by_label("url", exact=True))
    keys.type("${CHAT_WEBHOOK_URL}")
    _tab_to(page, step.get_by_label("body value 1", exact=True))
    keys.type("Hello ")
    _tab_to(page, page.get_by_role("button", name="Insert a field into body value 1 of step 1"))
    keys.press("Enter")
    keys.type("event.data.name")
    keys.press("ArrowDown")
    keys.press("Enter")
    expect(step.get_by_label("body value 1", exact=True)).to_have_value(
        "Hello {{ event.data.name }}"
    )

    _tab_to(page, page.get_by_role("button", name="Next: test"))
    keys.press("Enter")
    _tab_to(page, page.get_by_role("button", name="Run the test"))
    keys.press("Enter")
    expect(page.locator("#test-result")).to_contain_text(
        '"text": ' + json.dumps("Hello " + hostile)
    )
    assert page.evaluate("window.pwned") is None, "a sample value ran as markup"
    expect(page.locator("#test-result")).to_contain_text("POST [redacted]")

    _tab_to(page, page.get_by_role("button", name="Next: save"))
    keys.press("Enter")
    _tab_to(page, page.get_by_label("Rule name", exact=True))
    keys.press("Control+A")
    keys.type("keyboard-rule")
    _tab_to(page, page.get_by_label("Enabled (switch it on as soon as it is saved)"))
    keys.press("Space")
    _tab_to(page, page.get_by_role("button", name="Save rule"))
    keys.press("Enter")
    expect(page.locator("#save-result")).to_contain_text("Saved keyboard-rule (disabled)")
    text = (bridge.rules / "keyboard-rule.yml").read_text()
    assert "enabled: false" in text and "Hello {{ event.data.name }}" in text
    page.close()


def test_a_condition_rows_cannot_show_is_kept_as_written(browser: Browser, bridge: Bridge) -> None:
    """A hand-written if: the rows cannot represent opens in the advanced box, and saving
    another change writes it back untouched."""
    url = bridge.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, url)
    page.goto(url + "/rules/office-hours/edit")
    expect(page.locator("#builder-status")).to_contain_text("Editing office-hours")
    page.get_by_role("button", name="2 · Conditions").click()
    expect(page.locator("#cond-rows")).to_contain_text("cannot be shown as rows")
    expect(page.get_by_label("Condition expression")).to_have_value(
        "(event.data.company | length > 3) or now.hour < 9"
    )
    page.get_by_role("button", name="5 · Save").click()
    page.get_by_label("Description", exact=True).fill("Early or big")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#save-result")).to_contain_text("Saved office-hours")
    text = (bridge.rules / "hand-written.yml").read_text()
    assert "if: (event.data.company | length > 3) or now.hour < 9   # no rows" in text
    assert "description: Early or big" in text
    page.close()


def test_problems_point_at_their_fields_and_nothing_is_saved(
    browser: Browser, bridge: Bridge
) -> None:
    """Saving a task step with its required fields empty lists every problem at once, marks
    those fields, and writes nothing."""
    url = bridge.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, url)
    page.goto(url + "/rules/new")
    page.get_by_label("Search triggers").fill("new lead")
    page.get_by_label("A new lead is added in Perfex").check()
    page.get_by_role("button", name="3 · Actions").click()
    page.get_by_label("Search actions").fill("create a task")
    page.get_by_role("button", name="Add: Create a task in Perfex").click()
    page.get_by_role("button", name="5 · Save").click()
    page.get_by_label("Rule name", exact=True).fill("half-done")
    page.get_by_role("button", name="Save rule").click()
    problems = page.locator("#save-result")
    expect(problems).to_contain_text("nothing was saved")
    expect(problems).to_contain_text("do[0].perfex.tasks.create.startdate")
    expect(problems).to_contain_text("do[0].perfex.tasks.create.name")
    page.get_by_role("button", name="3 · Actions").click()
    step = page.get_by_role("group", name="Step 1: Create a task in Perfex")
    expect(step.get_by_label("startdate", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(step.get_by_label("name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert not (bridge.rules / "half-done.yml").exists()
    page.close()


def test_switching_on_a_rule_whose_variable_is_unset_says_why(
    browser: Browser, bridge: Bridge
) -> None:
    """Enable on the Rules page for a rule reading an unset ${VAR} is refused with the field
    and the variable named; the rule stays off."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, bridge.url)
    page.goto(bridge.url + "/rules")
    page.get_by_role("button", name="Enable rule needs-a-secret").click()
    status = page.locator("#rules-status")
    expect(status).to_contain_text("needs-a-secret not changed")
    expect(status).to_contain_text("NEVER_SET_URL")
    assert "enabled: false" in (bridge.rules / "hand-written.yml").read_text()
    page.close()
