"""A fresh clone: `bridge up` in the checkout with no secret and no setting at all is ready."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
#: Everything the shipped examples read; a fresh clone has none of them.
EXAMPLE_SECRETS = (
    "CHAT_WEBHOOK_URL",
    "CONTACT_FORM_TOKEN",
    "GITHUB_WEBHOOK_SECRET",
    "STRIPE_WEBHOOK_SECRET",
)

pytestmark = [pytest.mark.timeout(120)]


def test_up_with_the_shipped_rules_and_no_secrets_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only ./rules (copied from the checkout) and no variables set, /readyz is 200:
    the examples needing secrets load switched off instead of failing the load."""
    for name in EXAMPLE_SECRETS:
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    port = free_port()
    env = {"BRIDGE_PORT": str(port), "BRIDGE_REDIS_URL": ""}
    up = BridgeProcess("up", env=env, log_path=tmp_path / "up.log", cwd=tmp_path).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", process=up, timeout=90)
        ready = httpx.get(base + "/readyz", timeout=10)
        hook = httpx.post(base + "/hooks/github", json={}, timeout=10)
    finally:
        up.stop(timeout=20)
    assert ready.status_code == 200, ready.text + up.log()[-2000:]
    assert "do not load" not in up.log()
    # the hook of a switched-off example is off until its secret is set
    assert hook.status_code == 404
