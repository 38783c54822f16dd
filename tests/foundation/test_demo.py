"""`bridge demo`: events flow, one delivery fails and retries, one dead letter replays."""

from __future__ import annotations

import re
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.servers import free_port


def _wait_until(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_demo_plays_its_scenes_and_a_dead_letter_replays(tmp_path: Path) -> None:
    """The demo tells its story on the terminal, logs to the file it names, and its runs
    succeed, one lands in the DLQ, and replaying it delivers it."""
    port = free_port()
    env = {"BRIDGE_PORT": str(port), "BRIDGE_DEMO_PACE": "0.25", "BRIDGE_REDIS_URL": ""}
    demo = BridgeProcess("demo", env=env, log_path=tmp_path / "demo.log", cwd=tmp_path).start()
    base = f"http://127.0.0.1:{port}"
    stack = ExitStack()
    try:
        wait_http(base + "/healthz", process=demo, timeout=60)
        _wait_until(lambda: "Replay: it goes through now" in demo.log(), 60)
        token = re.search(r"^\s+token\s+(\S+)$", demo.log(), re.MULTILINE)
        assert token is not None
        terminal = demo.log()
        named = re.search(r"^\s+logs\s+(\S+)", terminal, re.MULTILINE)
        assert named is not None and Path(named[1]) == tmp_path / "bridge-demo.log"
        for told in ("1. A lead is added", "5. The chat tool answers 410", "build your own rule"):
            assert told in terminal, terminal
        assert f"{base}/rules/new" in terminal
        _wait_until(lambda: '"GET /healthz HTTP/1.1" 200' in Path(named[1]).read_text(), 10)
        assert "HTTP/1.1" not in terminal, "access log lines reached the terminal"
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token[1]}"})
        stack.callback(api.close)
        dead = api.get("/api/dlq").json()["items"]
        assert len(dead) == 1, dead
        _wait_until(
            lambda: len(api.get("/api/runs", params={"status": "succeeded"}).json()["items"]) >= 4,
            30,
        )
        letter = dead[0]["id"]
        assert api.post(f"/api/dlq/{letter}/replay").status_code in (200, 202)
        _wait_until(lambda: not api.get("/api/dlq").json()["items"], 30)
        runs = api.get("/api/runs", params={"status": "succeeded"}).json()["items"]
        assert {run["rule"] for run in runs} >= {
            "new-lead-to-chat",
            "github-issue-to-task",
            "form-to-lead",
            "ticket-auto-reply",
            "invoice-paid-to-chat",  # the push scene: invoice_paid pushed, fetched, routed
        }
    finally:
        stack.close()
        assert demo.stop() in (0, -15), demo.log()[-3000:]
