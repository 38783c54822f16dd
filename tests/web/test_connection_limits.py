"""Header limits (431), slow clients (408), the connection cap and the storm log, over real
sockets to the bridge's uvicorn protocol on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis

from bridge.loopback.servers import serve_in_thread
from bridge.rules import RulesWatcher
from bridge.web.app import create_app
from bridge.web.protocol import Limits, protocol_class
from bridge.web.server import build_server
from bridge.web.storm import GATHER, StormLog, install_loop_handler
from tests.web.conftest import make_settings, stored_ids

LIMITS = Limits(
    max_header_bytes=8 * 1024,
    max_headers=40,
    header_timeout=1.0,
    body_timeout=1.0,
    max_connections=20,
)


@pytest.fixture
def bounded_url(
    redis_url: str, redis: Redis, rules_file: Path, watcher: RulesWatcher
) -> Iterator[str]:
    """The web app served with the bridge's protocol and small limits."""
    app = create_app(make_settings(rules_file), redis_url=redis_url, rules=watcher)
    fresh = dataclasses.replace(LIMITS, storm=StormLog())  # a storm log of its own
    with serve_in_thread(app, http=protocol_class(fresh)) as url:
        yield url


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=5)
    return sock


def _read_answer(sock: socket.socket, wait: float = 5.0) -> bytes:
    """Everything the server sends until it closes (or `wait` s pass)."""
    sock.settimeout(wait)
    data = b""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


def _head(headers: list[tuple[str, str]], length: int = 2) -> bytes:
    lines = ["POST /hooks/open HTTP/1.1", "Host: x", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_headers_over_the_size_limit_get_431(bounded_url: str) -> None:
    """Headers larger than max_header_bytes in all are refused with 431; nothing is stored."""
    with _connect(bounded_url) as sock:
        sock.sendall(_head([(f"X-Pad-{i}", "v" * 1000) for i in range(12)]) + b"{}")
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"larger than 8192 bytes" in answer


def test_too_many_headers_get_431(bounded_url: str) -> None:
    """More headers than max_headers, however small, are refused with 431."""
    with _connect(bounded_url) as sock:
        sock.sendall(_head([(f"X-H{i}", "1") for i in range(60)]) + b"{}")
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"too many request headers" in answer


async def test_headers_within_the_limits_are_accepted(bounded_url: str, redis: Redis) -> None:
    """A request with 30 headers and 6 KB of them is served normally."""
    with _connect(bounded_url) as sock:
        sock.sendall(_head([(f"X-Pad-{i}", "v" * 200) for i in range(30)]) + b"{}")
        answer = _read_answer(sock, wait=2)
    assert answer.startswith(b"HTTP/1.1 202"), answer[:200]
    assert len(await stored_ids(redis)) == 1


def test_a_huge_streamed_header_is_refused_without_reading_it(bounded_url: str) -> None:
    """A 64 MB header value is cut off at the limit: the server answers 431 and closes
    after the first few hundred KB, never buffering the rest."""
    sent = 0
    answer = b""
    with _connect(bounded_url) as sock:
        sock.sendall(b"POST /hooks/open HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * 65536
        sock.settimeout(2)
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        answer = _read_answer(sock, wait=2)
    assert sent < 8 * 1024 * 1024, f"server kept reading: {sent} bytes accepted"
    if answer:  # the 431 may be lost to the reset when the client was still sending
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]


def test_slow_headers_and_silent_connections_are_timed_out(bounded_url: str) -> None:
    """A client that never finishes its headers, or sends nothing, is answered 408 and closed."""
    with _connect(bounded_url) as slow, _connect(bounded_url) as silent:
        slow.sendall(b"POST /hooks/open HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        slow_answer = _read_answer(slow, wait=5)
        silent_answer = _read_answer(silent, wait=5)
        elapsed = time.monotonic() - started
    assert slow_answer.startswith(b"HTTP/1.1 408"), slow_answer[:200]
    assert silent_answer.startswith(b"HTTP/1.1 408"), silent_answer[:200]
    assert elapsed < 4


async def test_slow_body_is_timed_out_and_nothing_is_stored(
    bounded_url: str, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Headers in, body never finished: 408 after body_timeout, no event, no traceback."""
    with _connect(bounded_url) as sock:
        sock.sendall(_head([], length=100) + b'{"a": "')
        answer = _read_answer(sock, wait=5)
    await asyncio.sleep(0.3)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert await stored_ids(redis) == []


def test_connection_cap_evicts_idle_clients_for_normal_ones(bounded_url: str) -> None:
    """With max_connections held by idle clients, a normal request still gets through:
    the oldest idle connection is closed for it."""
    idle = [_connect(bounded_url) for _ in range(LIMITS.max_connections + 10)]
    try:
        time.sleep(0.2)
        response = httpx.post(f"{bounded_url}/hooks/open", json={"ok": 1}, timeout=5)
        assert response.status_code == 202
        closed = 0
        for sock in idle[:10]:
            sock.settimeout(0.5)
            try:
                closed += sock.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                closed += 0
        assert closed >= 5, "the oldest idle connections were not evicted"
    finally:
        for sock in idle:
            sock.close()


def test_a_storm_of_slow_clients_is_one_log_line(
    bounded_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Fifteen clients timed out at once make one log line and no traceback."""
    caplog.set_level(logging.INFO)
    socks = [_connect(bounded_url) for _ in range(15)]
    try:
        for sock in socks:
            sock.sendall(b"POST /hooks/open HTTP/1.1\r\n")
        time.sleep(LIMITS.header_timeout + 2.0)
    finally:
        for sock in socks:
            sock.close()
    storm = [r for r in caplog.records if r.name == "bridge.web.storm"]
    assert len(storm) == 1, [r.getMessage() for r in storm]
    assert "15 clients too slow to send their headers (408)" in storm[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert len(caplog.records) < 10


def test_bridge_web_uses_the_bounded_protocol(rules_file: Path) -> None:
    """`bridge web` / `bridge up` build uvicorn with the bridge's protocol and settings."""
    settings = make_settings(rules_file)
    server = build_server(create_app(settings, redis_url="redis://127.0.0.1:1/0"), settings)
    protocol = server.config.http
    assert isinstance(protocol, type)
    assert protocol.limits.max_header_bytes == settings.max_header_bytes  # type: ignore[attr-defined]
    assert protocol.limits.header_timeout == settings.header_timeout  # type: ignore[attr-defined]


def test_connection_cap_fits_the_open_files_limit(tmp_path: Path) -> None:
    """Under a 100-descriptor limit BRIDGE_MAX_CONNECTIONS=1000 is lowered (with one log line)
    to what the process can hold, so a flood meets the cap before "Too many open files"."""
    script = (
        "import logging, resource\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))\n"
        "from bridge.web.protocol import FD_RESERVE, connection_cap\n"
        "print(connection_cap(1000), 100 - FD_RESERVE)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    got, expected = done.stdout.split()
    assert got == expected
    assert "BRIDGE_MAX_CONNECTIONS=1000 lowered to 36" in done.stderr


def test_out_of_descriptors_errors_become_storm_counts(caplog: pytest.LogCaptureFixture) -> None:
    """accept() failing with EMFILE a thousand times is one log line, not a traceback each;
    any other loop error still reaches the default handler."""
    storm = StormLog()

    async def flood() -> None:
        loop = asyncio.get_running_loop()
        install_loop_handler(loop, storm)
        install_loop_handler(loop, storm)  # idempotent
        for _ in range(1000):
            loop.call_exception_handler(
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                }
            )
        await asyncio.sleep(GATHER + 0.3)
        loop.call_exception_handler({"message": "something else", "exception": ValueError("x")})

    asyncio.run(flood())
    lines = [r.getMessage() for r in caplog.records if r.name == "bridge.web.storm"]
    assert lines == [
        "connections refused or dropped (since the last such line): 1000 accept failures (EMFILE)"
    ]
    assert storm.total["accept failures (EMFILE)"] == 1000
    errors = [r for r in caplog.records if r.exc_info]
    assert len(errors) == 1 and "something else" in errors[0].getMessage()
