"""`bridge demo`: watch events flow, one delivery fail and retry, one dead letter replayed.

One command starts everything on 127.0.0.1: a seeded Perfex sandbox, a webhook receiver
standing in for a chat tool, the embedded Valkey (in a fresh temporary data dir) and
`bridge up` with the example rules of `rules/`. A script then plays a minute of activity
(new leads, a signed GitHub issue, a contact form, a ticket) while the dashboard shows
what the bridge does with each. Stop it with Ctrl-C; nothing is left behind but the log.

The terminal tells the story (the scenes, the URL, the token, what to click); the
processes' own lines (uvicorn's access log, the worker's and poller's logs) go to the log
file it names, `./bridge-demo.log` (or BRIDGE_DEMO_LOG), so they do not drown the scenes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bridge.connection import redis_server
from bridge.exceptions import ConfigError
from bridge.loopback.receiver import create_receiver
from bridge.loopback.servers import serve_in_thread
from bridge.redaction import install_log_redaction
from bridge.settings import Settings, load_settings

logger = logging.getLogger("bridge.demo")

SANDBOX_TOKEN = "demo-perfex-token"  # noqa: S105 - the sandbox's, printed to the user
GITHUB_SECRET = "demo-github-secret"  # noqa: S105
FORM_TOKEN = "demo-form-token"  # noqa: S105
PUSH_SECRET = "demo-perfex-push-secret"  # noqa: S105


def _rules_dir() -> Path:
    """The example rules: ./rules where the demo is run, else the checkout's rules/."""
    for candidate in (Path("rules"), Path(__file__).resolve().parents[1] / "rules"):
        if candidate.is_dir() and any(candidate.glob("*.yml")):
            return candidate
    raise ConfigError("bridge demo needs the example rules/ folder: run it from the checkout")


async def _say(message: str) -> None:
    print(f"  demo ▸ {message}", flush=True)


async def _pause(seconds: float) -> None:
    """Wait between scenes; BRIDGE_DEMO_PACE=0.2 plays the minute five times faster."""
    await asyncio.sleep(seconds * float(os.environ.get("BRIDGE_DEMO_PACE", "1")))


async def _play(base: str, sandbox: str, receiver: str) -> None:
    """A minute of activity, each step explained on the terminal."""
    control = {"X-Sandbox-Token": SANDBOX_TOKEN}
    async with httpx.AsyncClient(timeout=10) as http:
        await _pause(4)
        await http.post(f"{receiver}/_control", json={"fail_next": 1, "fail_status": 503})
        await _say("a lead is added in Perfex; the chat tool will fail once (503), then accept")
        await http.post(
            f"{sandbox}/_sandbox/records/leads",
            headers=control,
            json={"name": "Ada Lovelace", "company": "Analytical Engines Ltd"},
        )
        await _pause(12)
        issue = {
            "action": "opened",
            "issue": {
                "title": "Invoice PDF shows the wrong VAT",
                "html_url": "https://github.com/example/shop/issues/7",
                "body": "Seen on invoice INV-000042.",
            },
        }
        body = json.dumps(issue).encode()
        signature = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
        await _say("GitHub sends a signed 'issues' webhook; it becomes a Perfex task")
        await http.post(
            f"{base}/hooks/github",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": secrets.token_hex(8),
                "X-Hub-Signature-256": f"sha256={signature}",
            },
        )
        await _pause(10)
        await _say("a website form is posted; it becomes a Perfex lead (and a chat message)")
        await http.post(
            f"{base}/hooks/contact-form",
            data={"name": "Grace Hopper", "email": "grace@example.com", "message": "A demo?"},
            headers={"Authorization": f"Bearer {FORM_TOKEN}"},
        )
        await _pause(10)
        await _say("a customer opens a ticket in Perfex; the bridge replies automatically")
        await http.post(
            f"{sandbox}/_sandbox/records/tickets",
            headers=control,
            json={"subject": "Cannot log in", "name": "Alan Turing", "status": "1"},
        )
        await _pause(10)
        await http.post(f"{receiver}/_control", json={"fail_next": 1, "fail_status": 410})
        await _say("the chat tool answers 410 Gone for the next lead: a dead letter")
        await http.post(
            f"{sandbox}/_sandbox/records/leads",
            headers=control,
            json={"name": "Katherine Johnson", "company": "NACA"},
        )
        await _pause(8)
        await _push_scene(http, base, sandbox, control)
        await _say("open 'Dead letters' in the dashboard and press Replay: it goes through now")
        await _say("the bridge keeps running; Ctrl-C stops the demo")


async def _push_scene(
    http: httpx.AsyncClient, base: str, sandbox: str, control: dict[str, str]
) -> None:
    """Perfex pushes `invoice_paid` (signed) the moment a payment settles an invoice."""
    await http.post(
        f"{sandbox}/api/webhooks",
        headers={"authtoken": SANDBOX_TOKEN},
        data={"name": "perfex-bridge", "url": f"{base}/hooks/perfex", "events[]": ["*"],
              "secret": PUSH_SECRET},
    )  # fmt: skip
    invoice = (await http.get(f"{sandbox}/_sandbox/records/invoices", headers=control)).json()[0]
    await _say("a customer pays the rest of an invoice: Perfex pushes invoice_paid at once;")
    await _say("the bridge fetches the invoice and tells the chat (no poll sees 'paid')")
    await http.post(
        f"{sandbox}/_sandbox/records/payments",
        headers=control,
        json={
            "invoiceid": invoice["id"],
            "amount": invoice["total_left_to_pay"],
            "paymentmode": "1",
        },
    )
    await _pause(8)


#: What the demo shows, scene by scene, printed before it starts (see `_play`).
SCENES = (
    "A lead is added in Perfex: the poller sees it within two seconds and 'new-lead-to-chat'"
    " posts it to the chat tool, which fails once (503). Click Runs, then the run:"
    " attempt 1 failed, attempt 2 delivered.",
    "GitHub sends a signed 'issues' webhook: 'github-issue-to-task' creates a Perfex task.",
    "A website form is posted to /hooks/contact-form: 'form-to-lead' creates a Perfex lead,"
    " which the poller then sees, so the chat tool hears of it too.",
    "A ticket is opened in Perfex: 'ticket-auto-reply' answers it.",
    "The chat tool answers 410 Gone for the next lead: the run goes to the dead-letter queue."
    " Click Dead letters, then Replay.",
    "A customer pays the rest of an invoice: Perfex pushes 'invoice_paid' at once (signed);"
    " the bridge fetches the invoice and tells the chat tool, which no poll could see.",
)


def _story(base: str, token: str, log_path: Path, sandbox: str) -> str:
    """The banner: where to look, how to log in, what each scene shows, what to try next."""
    scenes = "\n".join(
        textwrap.fill(text, 92, initial_indent=f"  {n}. ", subsequent_indent="     ")
        for n, text in enumerate(SCENES, 1)
    )
    return f"""
perfex-bridge demo
  dashboard   {base}/   (log in with the token below)
  token       {token}
  logs        {log_path}   (the processes' access and worker logs)

What you will see, about ten seconds apart (each scene is announced below as it plays):
{scenes}

Then build your own rule: open {base}/rules/new (Rules & hooks > New rule), pick
"A new lead is added in Perfex", add "Create a task in Perfex", use Insert field to put
the lead's name in the task, Run the test, Save. Then add a lead and watch it run:
  curl -X POST {sandbox}/_sandbox/records/leads -H 'X-Sandbox-Token: {SANDBOX_TOKEN}' \\
       -H 'Content-Type: application/json' -d '{{"name": "Mary Jackson", "company": "NASA"}}'
"""


def _log_path() -> Path:
    return Path(os.environ.get("BRIDGE_DEMO_LOG") or "bridge-demo.log").resolve()


@contextlib.contextmanager
def _logs_to_file(path: Path) -> Iterator[None]:
    """Send every log line (uvicorn's access log too) to `path`; only errors to the terminal.

    uvicorn configures its loggers from its default LOGGING_CONFIG when the web part
    starts, so its two stream handlers are pointed at the file for the demo's duration.
    """
    from uvicorn.config import LOGGING_CONFIG

    handlers: dict[str, Any] = LOGGING_CONFIG["handlers"]
    saved = {name: dict(handler) for name, handler in handlers.items()}
    for name in ("default", "access"):
        handlers[name] = {"formatter": name, "class": "logging.FileHandler", "filename": str(path)}
    path.write_text("")
    to_file = logging.FileHandler(path)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    terminal = logging.StreamHandler()
    terminal.setLevel(logging.ERROR)
    terminal.setFormatter(logging.Formatter("  %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(to_file)
    root.addHandler(terminal)
    try:
        yield
    finally:
        root.removeHandler(to_file)
        root.removeHandler(terminal)
        to_file.close()
        handlers.clear()
        handlers.update(saved)


async def _invite(base: str) -> None:
    """After the scenes: the reader's turn."""
    await _say(f"your turn: build your own rule at {base}/rules/new (see above)")


def _switched_on(source: Path, target: Path) -> Path:
    """A copy of the example rules with every one switched on (they ship `enabled: false`
    until their secrets are set; the demo sets them). The user's rules/ stay untouched."""
    target.mkdir()
    for path in sorted(source.glob("*.yml")):
        text = re.sub(r"(?m)^ +enabled: false.*\n", "", path.read_text(encoding="utf-8"))
        (target / path.name).write_text(text, encoding="utf-8")
    return target


def _settings(sandbox: str, data_dir: Path, admin_token: str) -> Settings:
    port = int(os.environ.get("BRIDGE_PORT", "8000"))
    return load_settings(
        _env_file=None,
        perfex_url=f"{sandbox}/api",
        perfex_token=SANDBOX_TOKEN,
        redis_url=None,
        data_dir=data_dir,
        rules=_switched_on(_rules_dir(), data_dir / "rules"),
        poll_interval=2,
        reconcile_interval=10,
        host="127.0.0.1",
        port=port,
        admin_token=admin_token,
        allow_private_targets=True,
    )


def run_demo() -> int:
    """Run the demo until Ctrl-C; 0 when stopped."""
    from bridge.sandbox.app import create_app as create_sandbox
    from bridge.up import serve

    admin_token = secrets.token_urlsafe(32)
    log_path = _log_path()
    with ExitStack() as stack:
        stack.enter_context(_logs_to_file(log_path))
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bridge-demo-")))
        sandbox = stack.enter_context(
            serve_in_thread(create_sandbox(token=SANDBOX_TOKEN, seed=True))
        )
        receiver = stack.enter_context(serve_in_thread(create_receiver()))
        os.environ.update(
            CHAT_WEBHOOK_URL=f"{receiver}/chat",
            CONTACT_FORM_TOKEN=FORM_TOKEN,
            GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
            STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_urlsafe(24),
            PERFEX_WEBHOOK_SECRET=PUSH_SECRET,
        )
        settings = _settings(sandbox, data_dir, admin_token)
        install_log_redaction([admin_token, SANDBOX_TOKEN, PUSH_SECRET, GITHUB_SECRET])
        url = stack.enter_context(redis_server(settings))
        base = f"http://{settings.host}:{settings.port}"
        print(_story(base, admin_token, log_path, sandbox), flush=True)
        print(
            f"""  sandbox     {sandbox}/api  (Perfex stand-in, authtoken: {SANDBOX_TOKEN})
  receiver    {receiver}/_deliveries  (what the 'chat tool' received)
  rules       {settings.rules}/
""",
            flush=True,
        )

        async def main() -> None:
            async def scenes() -> None:
                await _play(base, sandbox, receiver)
                await _invite(base)

            player = asyncio.create_task(scenes())
            try:
                await serve(settings, url)
            finally:
                player.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await player

        asyncio.run(main())
    return 0
