"""The sandbox's own clock: tests and demos move "now" without touching the real one.

It plays the Perfex server's clock: it stamps `datecreated`/`dateadded`/`date` and gives
`meta.next_poll`. It also has the server's PHP timezone (UTC unless set), in which
stored date-times are written and `since` is read, as in a real install.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

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
    #: The PHP timezone: local date-times are written and read in it.
    tz: tzinfo = UTC

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
        """Back to real time in UTC."""
        self.offset = 0.0
        self.frozen = None
        self.tz = UTC

    def set_timezone(self, name: str) -> None:
        """Use an IANA timezone (Europe/Athens) as the PHP timezone; ValueError if unknown."""
        try:
            self.tz = UTC if name == "UTC" else ZoneInfo(name)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unknown timezone {name!r}") from exc

    def datetime_str(self, timestamp: float | None = None) -> str:
        """`date('Y-m-d H:i:s')` for now (or for `timestamp`)."""
        return local_datetime(self.now() if timestamp is None else timestamp, self.tz)

    def date_str(self) -> str:
        """`date('Y-m-d')` for now."""
        return local_date(self.now(), self.tz)

    def snapshot(self) -> dict[str, object]:
        """The clock's state for the control API."""
        return {
            "now": self.time(),
            "datetime": self.datetime_str(),
            "offset": self.offset,
            "frozen": self.frozen is not None,
            "timezone": str(self.tz),
        }


def local_datetime(timestamp: float, tz: tzinfo = UTC) -> str:
    """A Unix timestamp as a local `Y-m-d H:i:s` in `tz` (PHP's date())."""
    return datetime.fromtimestamp(int(timestamp), tz).strftime(DATETIME_FORMAT)


def local_date(timestamp: float, tz: tzinfo = UTC) -> str:
    """A Unix timestamp as a local `Y-m-d` in `tz`."""
    return datetime.fromtimestamp(int(timestamp), tz).strftime(DATE_FORMAT)


def parse_local(value: str, tz: tzinfo = UTC) -> float | None:
    """A stored local `Y-m-d[ H:i:s]` back to a timestamp, or None when it is not one."""
    for fmt in (DATETIME_FORMAT, DATE_FORMAT):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=tz).timestamp()
        except ValueError:
            continue
    return None
