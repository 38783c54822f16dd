"""Secrets stay out of logs, run outputs, dead letters and `rules test` (issue 14 item 1)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.servers import free_port, serve_in_thread
from bridge.redaction import REDACTED, install_log_redaction, redact_urls, register_secrets

URL_TOKEN = "T0KENpathS3cret"
QUERY_TOKEN = "queryS3cret99"
API_KEY = "apiKeyS3cret42"
BEARER = "literalBearerS3cret"
LOOKUP = "lookupKeyS3cret7"
SECRETS = (URL_TOKEN, QUERY_TOKEN, API_KEY, BEARER, LOOKUP)

RULES = """
hooks:
  - name: form
    verify: token
    secret: form-secret
rules:
  - name: forward
    on: webhook.form
    do:
      - id: chat
        webhook:
          url: ${CHAT_WEBHOOK_URL}
          headers:
            X-Api-Key: ${CHAT_KEY}
            Authorization: Bearer literalBearerS3cret
  - name: lookup
    on: webhook.form
    do:
      - webhook:
          url: ECHO/other
          body: "{{ event.data['${LOOKUP_KEY}'] }}"
"""


async def _echo(request: Request) -> JSONResponse:
    """A careless receiver: answers with the URL and every header it was sent."""
    return JSONResponse({"url": str(request.url), "headers": dict(request.headers)})


def _echo_app() -> Starlette:
    return Starlette(routes=[Route("/{path:path}", _echo, methods=["POST"])])


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _wait_run(base: str, run_id: str, status: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.get(f"{base}/api/runs/{run_id}", headers=headers)
        if answer.status_code == 200 and answer.json()["status"] == status:
            return dict(answer.json())
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)


def test_up_keeps_secrets_out_of_log_runs_and_dead_letters(tmp_path: Path) -> None:
    """A real delivery to a secret URL, echoed back, and a template quoting a ${VAR}: no secret
    in the process log, /api/runs, /api/dlq or `bridge rules test`."""
    port = free_port()
    with serve_in_thread(_echo_app()) as echo:
        rules = tmp_path / "rules.yml"
        rules.write_text(RULES.replace("ECHO", echo))
        env = {
            "BRIDGE_PORT": str(port),
            "BRIDGE_DATA_DIR": str(tmp_path / "data"),
            "BRIDGE_RULES": str(rules),
            "BRIDGE_ADMIN_TOKEN": "admin-token-for-the-redaction-test",
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_LOG_LEVEL": "INFO",
            "BRIDGE_REDIS_URL": "",
            "CHAT_WEBHOOK_URL": f"{echo}/chat/{URL_TOKEN}?token={QUERY_TOKEN}",
            "CHAT_KEY": API_KEY,
            "LOOKUP_KEY": LOOKUP,
        }
        base = f"http://127.0.0.1:{port}"
        admin = {"Authorization": "Bearer admin-token-for-the-redaction-test"}
        up = BridgeProcess("up", env=env, log_path=tmp_path / "up.log", cwd=tmp_path).start()
        try:
            wait_http(base + "/healthz", process=up, timeout=60)
            answer = httpx.post(
                base + "/hooks/form",
                json={"name": "Ada"},
                headers={"Authorization": "Bearer form-secret"},
            )
            assert answer.status_code == 202, answer.text
            event_id = answer.json()["event_id"]
            forward = _wait_run(base, f"{event_id}:forward", "succeeded", admin)
            lookup = _wait_run(base, f"{event_id}:lookup", "failed", admin)
            dlq = httpx.get(base + "/api/dlq", headers=admin).text
        finally:
            assert up.stop() == 0, up.log()[-3000:]
        echoed = json.dumps(forward["outputs"]["chat"])
        assert REDACTED in echoed and "x-api-key" in echoed, "the echo is kept, redacted"
        assert _leaks(json.dumps(forward)) == []
        assert "template failed" in json.dumps(lookup) and _leaks(json.dumps(lookup)) == []
        assert "template failed" in dlq and _leaks(dlq) == []
        log = up.log()
        assert "delivered" in log or "bridge up" in log
        assert _leaks(log) == [], log[-3000:]

        event = tmp_path / "event.json"
        sample = {"id": "e1", "type": "webhook.form", "source": "hook:form", "data": {}}
        event.write_text(json.dumps(sample))
        dry = subprocess.run(
            [sys.executable, "-m", "bridge", "rules", "test", "--event", str(event)],
            env={**env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "template failed" in dry.stdout, dry.stdout + dry.stderr
        assert _leaks(dry.stdout + dry.stderr) == []


def test_library_loggers_cannot_write_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    """Any logger's record (message, arguments, traceback) has known secrets, URL credentials
    and URL queries masked before a handler sees it."""
    install_log_redaction(["libS3cretValue"])
    register_secrets([URL_TOKEN])
    caplog.set_level(logging.DEBUG)
    url = httpx.URL(f"https://user:pw9876@example.org/hook/{URL_TOKEN}?token=q1w2e3r4")
    logging.getLogger("httpcore.connection").warning("connect to %s", url)
    logging.getLogger("some.lib").info("sent libS3cretValue and %d items", 3)
    try:
        raise ValueError("boom with libS3cretValue")
    except ValueError:
        logging.getLogger("other.lib").exception("failed")
    text = caplog.text
    for secret in ("pw9876", URL_TOKEN, "q1w2e3r4", "libS3cretValue"):
        assert secret not in text, text
    assert "3 items" in text and "ValueError" in text


def test_redact_urls_masks_credentials_and_query() -> None:
    """URL credentials and query strings are masked; the host and path stay readable."""
    text = redact_urls("GET https://a:b@h.example/p?x=1&token=z done; ftp://h2/y plain")
    assert text == "GET https://[redacted]@h.example/p?[redacted] done; ftp://h2/y plain"
