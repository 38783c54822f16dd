"""One log line per interval for floods of refused or broken connections.

A flood of slow clients, oversized headers or "Too many open files" must not write a
traceback per connection (one such storm once wrote 167 MB of log in 30 s). Each refusal
is counted by reason; at most one WARNING line per interval says how many of each.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections import Counter
from typing import Any

logger = logging.getLogger("bridge.web.storm")

#: Seconds between two storm lines at most.
INTERVAL = 10.0
#: Seconds a burst is gathered before its first line.
GATHER = 1.0
#: accept() and socket errors that mean the process ran out of descriptors or buffers.
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class StormLog:
    """Counts refusals by reason; writes them as one line at most every `interval` s."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self._last = -interval
        self._flush_at: asyncio.TimerHandle | None = None

    def note(self, reason: str) -> None:
        """Count one refusal; the line is written a moment later (gathering a burst into
        one line), and never sooner than `interval` after the previous line."""
        self.counts[reason] += 1
        self.total[reason] += 1
        if self._flush_at is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        now = time.monotonic()
        delay = max(self._last + self.interval - now, GATHER)
        self._flush_at = loop.call_later(delay, self.flush)

    def flush(self) -> None:
        """Write the counts since the last line (nothing when there are none)."""
        self._flush_at = None
        if not self.counts:
            return
        parts = ", ".join(f"{count} {reason}" for reason, count in sorted(self.counts.items()))
        logger.warning("connections refused or dropped (since the last such line): %s", parts)
        self.counts.clear()
        self._last = time.monotonic()


def install_loop_handler(loop: asyncio.AbstractEventLoop, storm: StormLog) -> None:
    """Route the loop's "out of file descriptors" errors (accept() failing with EMFILE,
    ENFILE, ...) into `storm` instead of a traceback each; other errors as before."""
    previous = loop.get_exception_handler()
    if getattr(previous, "bridge_storm", False):
        return

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
            storm.note(f"accept failures ({errno.errorcode.get(exc.errno or 0, 'EMFILE')})")
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handle.bridge_storm = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handle)
