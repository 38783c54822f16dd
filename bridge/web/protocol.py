"""uvicorn's httptools protocol with the limits a public endpoint needs.

uvicorn (with httptools, the parser the bridge ships) bounds neither the size nor the
number of request headers, never times out a client that is slow to send its headers
or body, and holds every connection it accepts. Here, per connection:

- Headers (request line included) over `max_header_bytes` in all, or more than
  `max_headers` of them, are answered 431 and the connection closed. The size is counted
  while bytes arrive, so a 64 MB header is refused after the limit (plus one read), never
  buffered whole; both limits hold before the app, the body or a signature is looked at.
- Headers not complete `header_timeout` s after the connection opened (or after the
  previous request on a kept-alive connection) are answered 408 and the connection
  closed; a connection that sends nothing at all is closed the same way.
- A body not complete `body_timeout` s after its headers is answered 408 and closed.
- At most `max_connections` connections are held. One more evicts a connection that is
  not inside a request (still sending its headers, or idle): the oldest one of the client
  address holding the most connections, so a flood from a few addresses cuts its own
  connections rather than everybody's (else the oldest one anywhere that has waited
  GRACE s). When there is none, the new one is answered 503 with Retry-After.

Each refusal is counted in a `StormLog`: one log line per interval, not one per client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from bridge.settings import Settings
from bridge.web.storm import StormLog, install_loop_handler

logger = logging.getLogger("bridge.web.protocol")

#: Seconds a connection may wait (for its headers, or idle between requests) before it
#: can be evicted for a new one: a client that just connected is never the one cut off.
GRACE = 1.0
#: File descriptors kept free beyond the connections (Redis, logs, the rules watcher).
FD_RESERVE = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """The connection limits (BRIDGE_MAX_HEADER_BYTES, ... in bridge.settings)."""

    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    storm: StormLog = field(default_factory=StormLog, compare=False)


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing a request that is refused."""


class _Pool:
    """A server's connections by client address: how many each holds, which are waiting
    (for their headers, or idle between requests), oldest first."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.waiting: dict[str, OrderedDict[BoundedProtocol, float]] = {}

    def add(self, conn: BoundedProtocol) -> None:
        self.count[conn.address] += 1

    def remove(self, conn: BoundedProtocol) -> None:
        self.unwait(conn)
        self.count[conn.address] -= 1
        if self.count[conn.address] <= 0:
            del self.count[conn.address]

    def wait(self, conn: BoundedProtocol, since: float) -> None:
        queue = self.waiting.setdefault(conn.address, OrderedDict())
        queue.pop(conn, None)
        queue[conn] = since

    def unwait(self, conn: BoundedProtocol) -> None:
        queue = self.waiting.get(conn.address)
        if queue is not None:
            queue.pop(conn, None)
            if not queue:
                del self.waiting[conn.address]

    def victim(self, new: BoundedProtocol, now: float) -> BoundedProtocol | None:
        """Whom to cut for `new`: the oldest waiting connection of the address holding the
        most connections; else the oldest waiting one anywhere past its GRACE; else None."""
        heaviest = max(self.count, key=self.count.__getitem__, default=None)
        queue = self.waiting.get(heaviest) if heaviest is not None else None
        if queue:
            found = next((conn for conn in queue if conn is not new), None)
            if found is not None:
                return found
        best: tuple[BoundedProtocol, float] | None = None
        for queue in self.waiting.values():
            conn, since = next(iter(queue.items()))
            if conn is not new and now - since >= GRACE and (best is None or since < best[1]):
                best = (conn, since)
        return best[0] if best is not None else None


def _pool(state: ServerState) -> _Pool:
    """The connection pool of this uvicorn server (kept on its shared state)."""
    found: _Pool | None = getattr(state, "bridge_pool", None)
    if found is None:
        found = _Pool()
        state.bridge_pool = found  # type: ignore[attr-defined]
    return found


class BoundedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with header limits, timeouts and a connection cap (see module)."""

    limits: ClassVar[Limits] = Limits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        install_loop_handler(self.loop, self.limits.storm)
        self._in_headers = True
        self._pending = 0
        self._header_bytes = 0
        self._header_count = 0
        self._refusal: tuple[int, str, str] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.address = ""

    # Connection life

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.address = self.client[0] if self.client else ""
        pool = _pool(self.server_state)
        pool.add(self)
        now = self.loop.time()
        if len(self.connections) > self.limits.max_connections:
            victim = pool.victim(self, now)
            if victim is not None:
                self.limits.storm.note("idle or slow connections evicted at the connection cap")
                victim._close()
            else:
                self.limits.storm.note("connections refused at the connection cap (503)")
                self._answer(503, "too many connections, retry later", {"retry-after": "1"})
                return
        pool.wait(self, now)
        self._arm(self.limits.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        _pool(self.server_state).remove(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._in_headers:
            self._pending += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                status, message, reason = self._refusal
                self.limits.storm.note(reason)
                self._answer(status, message)
            else:
                self.limits.storm.note("malformed requests (400)")
                self._answer(400, "invalid HTTP request")
            return
        if self._in_headers and self._pending > self.limits.max_header_bytes:
            self.limits.storm.note("requests with oversized headers (431)")
            self._answer(431, self._size_message())

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0
        self._header_count = 0
        if self._timer is None:
            self._arm(self.limits.header_timeout, self._headers_too_slow)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._refusal = (
                431,
                f"too many request headers (more than {self.limits.max_headers})",
                "requests with too many headers (431)",
            )
            raise _Refused
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._pending = 0
        self._disarm()
        _pool(self.server_state).unwait(self)
        self._arm(self.limits.body_timeout, self._body_too_slow)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_headers = True  # bytes from here on belong to the next request's headers
        self._pending = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            _pool(self.server_state).wait(self, self.loop.time())

    # Helpers

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes:
            self._refusal = (431, self._size_message(), "requests with oversized headers (431)")
            raise _Refused

    def _size_message(self) -> str:
        return f"request headers are larger than {self.limits.max_header_bytes} bytes"

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered; uvicorn's keep-alive timer follows it
        self.limits.storm.note("clients too slow to send their headers (408)")
        self._answer(408, f"request headers not received within {self.limits.header_timeout} s")

    def _body_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        self.limits.storm.note("clients too slow to send their body (408)")
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # the app sees a disconnect; its answer is dropped
            cycle.message_event.set()
            self._answer(408, f"request body not received within {self.limits.body_timeout} s")
        else:
            self._close()

    def _answer(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        """Write a small JSON error and close, outside the app (it never saw the request)."""
        if self.transport.is_closing():
            return
        body = json.dumps({"error": message}).encode()
        head = [STATUS_LINE[status]]
        for name, value in (extra or {}).items():
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(body)).encode() + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self._close()

    def _close(self) -> None:
        self._disarm()
        _pool(self.server_state).unwait(self)
        if not self.transport.is_closing():
            self.transport.close()


def connection_cap(wanted: int) -> int:
    """`wanted`, lowered to what the process's file-descriptor limit allows.

    The soft limit is raised towards the hard one first; whatever remains short is
    logged once, so the cap is what the process can really hold.
    """
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):  # pragma: no cover - platforms without RLIMIT_NOFILE
        return wanted
    need = wanted + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):
            pass
    if soft != resource.RLIM_INFINITY and soft < need:
        allowed = max(1, soft - FD_RESERVE)
        logger.warning(
            "BRIDGE_MAX_CONNECTIONS=%d lowered to %d: the open-files limit is %d",
            wanted,
            allowed,
            soft,
        )
        return allowed
    return wanted


def limits_of(settings: Settings) -> Limits:
    """The connection limits of the bridge's settings."""
    return Limits(
        max_header_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        max_connections=settings.max_connections,
    )


def protocol_class(limits: Limits) -> type[asyncio.Protocol]:
    """A BoundedProtocol subclass carrying `limits`, for uvicorn's `http=` option."""
    capped = Limits(
        max_header_bytes=limits.max_header_bytes,
        max_headers=limits.max_headers,
        header_timeout=limits.header_timeout,
        body_timeout=limits.body_timeout,
        max_connections=connection_cap(limits.max_connections),
        storm=limits.storm,
    )
    return type("BridgeHttpProtocol", (BoundedProtocol,), {"limits": capped})
