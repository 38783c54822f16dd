"""The embedded Valkey of `bridge up` is supervised: killed, it comes back (issue 14 item 8)."""

from __future__ import annotations

import os
import shutil
import signal
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
    secret: form-secret-for-valkey
rules:
  - name: forward
    on: webhook.form
    do:
      - webhook:
          url: RECEIVER/forms
          body: {n: "{{ event.data.n }}"}
"""
AUTH = {"Authorization": "Bearer form-secret-for-valkey"}
ADMIN = {"Authorization": "Bearer admin-token-for-the-valkey-supervision-test"}


def _valkey_pid(parent: int) -> int:
    """The valkey-server process the bridge started (a child of `parent`)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == parent and "valkey" in name:
            return int(entry.name)
    raise AssertionError(f"no valkey-server child of {parent}")


def _wait_status(url: str, status: int, within: float) -> float:
    """Seconds until GET `url` answers `status`; fails after `within`."""
    started = time.monotonic()
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == status:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        assert time.monotonic() - started < within, f"{url} did not answer {status}"
        time.sleep(0.2)


def test_killed_valkey_is_restarted_with_its_data_and_healthz_fails_when_it_cannot_be(
    tmp_path: Path,
) -> None:
    """SIGKILL the embedded Valkey: it is restarted on the same data dir, events stored before
    are still there, /readyz recovers, hooks are delivered again; when the data dir becomes
    unusable the restarts give up and /healthz answers 503."""
    receiver = create_receiver()
    state: ReceiverState = receiver.state.receiver
    port = free_port()
    data = tmp_path / "data"
    with serve_in_thread(receiver) as receiver_url:
        (tmp_path / "rules.yml").write_text(RULES.replace("RECEIVER", receiver_url))
        env = {
            "BRIDGE_PORT": str(port),
            "BRIDGE_DATA_DIR": str(data),
            "BRIDGE_RULES": str(tmp_path / "rules.yml"),
            "BRIDGE_ADMIN_TOKEN": "admin-token-for-the-valkey-supervision-test",
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_REDIS_URL": "",
        }
        base = f"http://127.0.0.1:{port}"
        up = BridgeProcess("up", env=env, log_path=tmp_path / "up.log", cwd=tmp_path).start()
        assert up.pid is not None
        try:
            wait_http(base + "/healthz", process=up, timeout=60)
            _wait_status(base + "/readyz", 200, 30)
            ids = []
            for n in range(5):
                answer = httpx.post(base + "/hooks/form", json={"n": n}, headers=AUTH)
                assert answer.status_code == 202
                ids.append(answer.json()["event_id"])
            first = _valkey_pid(up.pid)
            os.kill(first, signal.SIGKILL)
            _wait_status(base + "/readyz", 503, 10)
            recovered = _wait_status(base + "/readyz", 200, 20)
            assert httpx.get(base + "/healthz").status_code == 200
            assert _valkey_pid(up.pid) != first
            for event_id in ids:
                stored = httpx.get(f"{base}/api/events/{event_id}", headers=ADMIN)
                assert stored.status_code == 200, stored.text
            answer = httpx.post(base + "/hooks/form", json={"n": 5}, headers=AUTH)
            assert answer.status_code == 202
            deadline = time.monotonic() + 30
            while len(state.delivered()) < 6 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert sorted(d.body for d in state.delivered())[-1] == b'{"n":5}'
            assert len({d.webhook_id for d in state.delivered()}) == 6

            # the data dir becomes unusable: restarts fail, and the process says so
            shutil.move(data, tmp_path / "moved")
            data.write_text("not a directory")
            os.kill(_valkey_pid(up.pid), signal.SIGKILL)
            gave_up = _wait_status(base + "/healthz", 503, 40)
            detail = httpx.get(base + "/healthz").json()
        finally:
            up.stop()
    print(f"\nvalkey: ready again {recovered:.1f} s after SIGKILL; gave up after {gave_up:.1f} s")
    assert "could not be restarted" in detail["detail"]
    assert "embedded Valkey restarted" in up.log()
