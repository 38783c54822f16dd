"""`bridge.sandbox.server.run` serves the sandbox in its own process, as `bridge sandbox` does."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from bridge.loopback.servers import free_port


def test_run_serves_a_seeded_sandbox_from_a_file(tmp_path: Path) -> None:
    """run(port=..., db_path=..., seed=True, token=...) answers on 127.0.0.1 until stopped."""
    port = free_port()
    db = tmp_path / "sandbox.sqlite3"
    code = (
        "from bridge.sandbox.server import run; "
        f"run(port={port}, db_path={str(db)!r}, seed=True, token='cli-token')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        url = f"http://127.0.0.1:{port}/api/customers"
        while True:
            try:
                response = httpx.get(url, headers={"authtoken": "cli-token"})
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()[0]["company"] == "Acme Ltd"
        assert db.exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
