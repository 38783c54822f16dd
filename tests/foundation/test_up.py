"""`bridge up` as a user runs it: one process, embedded Valkey, a webhook in and out."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.receiver import ReceiverState, create_receiver
from bridge.loopback.servers import free_port, serve_in_thread

RULES = """
hooks:
  - name: form
    verify: token
    secret: form-secret
rules:
  - name: forward
    on: webhook.form
    do:
      - webhook:
          url: {receiver}/forms
          body: {{name: "{{{{ event.data.name }}}}"}}
"""


def _wait_for(state: ReceiverState, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(state.delivered()) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_up_runs_every_part_and_keeps_data_across_restart(tmp_path: Path) -> None:
    """A hook posted to `bridge up` is delivered; after SIGTERM and a restart the event is kept."""
    receiver = create_receiver()
    state: ReceiverState = receiver.state.receiver
    port = free_port()
    with serve_in_thread(receiver) as receiver_url:
        (tmp_path / "rules.yml").write_text(RULES.format(receiver=receiver_url))
        env = {
            "BRIDGE_PORT": str(port),
            "BRIDGE_DATA_DIR": str(tmp_path / "data"),
            "BRIDGE_RULES": str(tmp_path / "rules.yml"),
            "BRIDGE_ADMIN_TOKEN": "admin-token-for-the-up-test-0123456789",
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
        }
        env["BRIDGE_REDIS_URL"] = ""  # the embedded Valkey, whatever the suite runs on
        base = f"http://127.0.0.1:{port}"
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
            _wait_for(state, 1)
            assert [d.body for d in state.delivered()] == [b'{"name":"Ada"}']
        finally:
            assert up.stop() == 0, up.log()[-3000:]
        assert not (tmp_path / "data" / "valkey.url").exists(), "Valkey stopped with the bridge"

        up = BridgeProcess("up", env=env, log_path=tmp_path / "up2.log", cwd=tmp_path).start()
        try:
            wait_http(base + "/healthz", process=up, timeout=60)
            detail = httpx.get(
                f"{base}/api/events/{event_id}",
                headers={"Authorization": "Bearer admin-token-for-the-up-test-0123456789"},
            )
            assert detail.status_code == 200, detail.text
            assert detail.json()["data"] == {"name": "Ada"}
            assert len(state.delivered()) == 1, "a restart runs nothing twice"
        finally:
            assert up.stop() == 0, up.log()[-3000:]
