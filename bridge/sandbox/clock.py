"""The sandbox's own clock: tests and demos move "now" without touching the real one.

It plays the Perfex server's clock: it stamps `datecreated`/`dateadded`/`date` and gives
`meta.next_poll`. The sandbox's PHP timezone is UTC, so local date-times are UTC.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

logger = logging.getLogger("bridge.sandbox.clock")

#: The PHP `Y-m-d H:i:s` format Perfex stores date-times in.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The PHP `Y-m-d` format of date columns.
DATE_FORMAT = "%Y-%m-%d"


@dataclass
class SandboxClock:
    """Real time plus an offset, or a frozen instant: `now()` is what PHP's time() says."""

    offset: float = 0.0
    frozen: float | None = None

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox's server sees them."""
        if self.frozen is not None:
            return self.frozen
        return time.time() + self.offset

    def time(self) -> int:
        """PHP's `time()`: whole seconds."""
        return int(self.now())

    def set(self, timestamp: float, *, freeze: bool = False) -> None:
        """Jump to `timestamp`; with `freeze` the clock stops there until moved again."""
        if freeze:
            self.frozen = timestamp
        else:
            self.frozen = None
            self.offset = timestamp - time.time()
        logger.info("sandbox clock set to %s (frozen=%s)", timestamp, freeze)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value)."""
        if self.frozen is not None:
            self.frozen += seconds
        else:
            self.offset += seconds

    def reset(self) -> None:
        """Back to real time."""
        self.offset = 0.0
        self.frozen = None

    def datetime_str(self, timestamp: float | None = None) -> str:
        """`date('Y-m-d H:i:s')` for now (or for `timestamp`)."""
        return local_datetime(self.now() if timestamp is None else timestamp)

    def date_str(self) -> str:
        """`date('Y-m-d')` for now."""
        return datetime.fromtimestamp(self.now(), UTC).strftime(DATE_FORMAT)

    def snapshot(self) -> dict[str, object]:
        """The clock's state for the control API."""
        return {
            "now": self.time(),
            "datetime": self.datetime_str(),
            "offset": self.offset,
            "frozen": self.frozen is not None,
        }


def local_datetime(timestamp: float) -> str:
    """A Unix timestamp as the server's local `Y-m-d H:i:s` (the sandbox runs on UTC)."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime(DATETIME_FORMAT)


def local_date(timestamp: float) -> str:
    """A Unix timestamp as the server's local `Y-m-d`."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime(DATE_FORMAT)


def parse_local(value: str) -> float | None:
    """A stored `Y-m-d[ H:i:s]` back to a timestamp, or None when it is not one."""
    for fmt in (DATETIME_FORMAT, DATE_FORMAT):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None
