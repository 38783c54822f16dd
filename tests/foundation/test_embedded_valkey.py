"""The embedded Valkey: data survives a restart, one server per data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from bridge.embedded_valkey import EmbeddedValkey
from bridge.exceptions import EmbeddedValkeyError


def _run(url: str, *command: str) -> object:
    """One command on a short-lived client that is closed again."""
    with redis.Redis.from_url(url, socket_connect_timeout=0.5) as client:
        return client.execute_command(*command)


def test_key_survives_restart(data_dir: Path) -> None:
    """A key written before a stop is there after the next start (AOF on)."""
    with EmbeddedValkey(data_dir) as url:
        _run(url, "SET", "bridge:test:kept", "yes")
    assert not (data_dir / "valkey.url").exists()
    with EmbeddedValkey(data_dir) as url:
        assert _run(url, "GET", "bridge:test:kept") == b"yes"
    assert any(data_dir.rglob("*.aof")), "the append-only file lives in the data dir"


def test_second_process_shares_the_server(data_dir: Path) -> None:
    """Two bridges on one data dir: the second joins the first's server, starts none."""
    first = EmbeddedValkey(data_dir)
    second = EmbeddedValkey(data_dir)
    url = first.start()
    try:
        assert second.start() == url
        assert not second.owner
        second.stop()  # lets go without stopping the owner's server
        assert _run(url, "PING")
    finally:
        first.stop()


_HOLDER = """
import sys, time
from pathlib import Path
from bridge.embedded_valkey import EmbeddedValkey
EmbeddedValkey(Path(sys.argv[1])).start()
print("ready", flush=True)
time.sleep(120)
"""


def test_orphan_server_is_adopted_not_doubled(data_dir: Path) -> None:
    """An owner killed with SIGKILL leaves its server; the next start adopts it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        orphan_url = (data_dir / "valkey.url").read_text().strip()
        _run(orphan_url, "SET", "bridge:test:orphan", "1")
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    valkey = EmbeddedValkey(data_dir)
    assert valkey.start() == orphan_url
    assert valkey.owner
    assert _run(orphan_url, "GET", "bridge:test:orphan") == b"1"
    valkey.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _run(orphan_url, "PING")
        except redis.ConnectionError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the adopted server was not shut down")


def test_locked_dir_without_server_is_a_clear_error(data_dir: Path) -> None:
    """A dir locked by a live process whose server is gone gives a clear error."""
    owner = EmbeddedValkey(data_dir)
    owner.start()
    try:
        (data_dir / "valkey.url").write_text("redis://127.0.0.1:1/0\n")
        with pytest.raises(EmbeddedValkeyError, match="BRIDGE_REDIS_URL"):
            EmbeddedValkey(data_dir).start()
    finally:
        (data_dir / "valkey.url").write_text(owner.url or "")
        owner.stop()
