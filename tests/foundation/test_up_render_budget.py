"""`bridge up` keeps answering hooks while its worker renders a heavy template (item 6)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.receiver import ReceiverState, create_receiver
from bridge.loopback.servers import free_port, serve_in_thread

RULES = """
hooks:
  - name: heavy
    verify: token
    secret: hook-secret-for-budget
  - name: light
    verify: token
    secret: hook-secret-for-budget
rules:
  - name: heavy
    on: webhook.heavy
    do:
      - webhook:
          url: RECEIVER/heavy
          body: "{% for i in range(100000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
  - name: light
    on: webhook.light
    do:
      - webhook:
          url: RECEIVER/light
          body: {n: "{{ event.data.n }}"}
"""
AUTH = {"Authorization": "Bearer hook-secret-for-budget"}


def test_hooks_answer_promptly_while_a_heavy_template_renders(tmp_path: Path) -> None:
    """During a render that would take minutes, inbound hooks answer in well under a second;
    the render stops at BRIDGE_RENDER_TIMEOUT, its run is dead-lettered with the reason, and
    the worker goes on delivering."""
    receiver = create_receiver()
    state: ReceiverState = receiver.state.receiver
    port = free_port()
    with serve_in_thread(receiver) as receiver_url:
        (tmp_path / "rules.yml").write_text(RULES.replace("RECEIVER", receiver_url))
        env = {
            "BRIDGE_PORT": str(port),
            "BRIDGE_DATA_DIR": str(tmp_path / "data"),
            "BRIDGE_RULES": str(tmp_path / "rules.yml"),
            "BRIDGE_ADMIN_TOKEN": "admin-token-for-the-render-budget-test",
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_RENDER_TIMEOUT": "4",
            "BRIDGE_REDIS_URL": "",
        }
        base = f"http://127.0.0.1:{port}"
        admin = {"Authorization": "Bearer admin-token-for-the-render-budget-test"}
        up = BridgeProcess("up", env=env, log_path=tmp_path / "up.log", cwd=tmp_path).start()
        try:
            wait_http(base + "/healthz", process=up, timeout=60)
            with httpx.Client(base_url=base, timeout=30) as client:
                heavy = client.post("/hooks/heavy", json={"n": 0}, headers=AUTH)
                assert heavy.status_code == 202
                run_id = heavy.json()["event_id"] + ":heavy"
                time.sleep(0.5)  # the worker has picked the run up and is rendering
                latencies = []
                for n in range(1, 11):
                    began = time.monotonic()
                    answer = client.post("/hooks/light", json={"n": n}, headers=AUTH)
                    latencies.append(time.monotonic() - began)
                    assert answer.status_code == 202
                    time.sleep(0.1)
                deadline = time.monotonic() + 30
                while True:
                    run = client.get(f"/api/runs/{run_id}", headers=admin).json()
                    if run.get("status") == "failed" or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                dlq = client.get("/api/dlq", headers=admin).json()
                deadline = time.monotonic() + 30
                while len(state.delivered()) < 10 and time.monotonic() < deadline:
                    time.sleep(0.1)
        finally:
            assert up.stop() == 0, up.log()[-3000:]
    print(f"\nhook latency during a heavy render: max {max(latencies) * 1000:.0f} ms")
    assert max(latencies) < 0.5, latencies
    assert run["status"] == "failed", run
    assert "longer than 4 s" in run["error"]
    assert any(letter["run_id"] == run_id for letter in dlq["items"])
    assert sorted(d.path for d in state.delivered()) == ["/light"] * 10
