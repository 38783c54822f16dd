"""Faults injected per route pattern, so tests and demos can see the bridge cope.

Modes:
    down        the sandbox answers 503 Service Unavailable (an HTML page, as a proxy would).
    drop        the sandbox sends response headers, then closes the connection without the
                body: clients see the connection die mid-response (a RemoteProtocolError in
                httpx). An ASGI app cannot refuse a TCP connection or reset it before the
                response starts, so this is as close to "refused/reset" as one gets.
    slow        the call waits `seconds` before being served normally.
    error       the sandbox answers `status` (500 by default) with PHP's error page.
    rate_limit  the sandbox answers 429 with a `Retry-After: <retry_after>` header.
    reject      the sandbox answers like Perfex failing an action: `status` (404 by default)
                with {"status": false, "message": <message>} (default "add fail").

A fault with a `count` fires that many times, then goes away; without one it stays until
cleared. Patterns are shell globs over the path (`/api/zapier/poll/*`), optionally for one
method only.
"""

from __future__ import annotations

import fnmatch
import itertools
import logging
from dataclasses import asdict, dataclass
from typing import Any, Literal

logger = logging.getLogger("bridge.sandbox.faults")

FaultMode = Literal["down", "drop", "slow", "error", "rate_limit", "reject"]
MODES: tuple[str, ...] = ("down", "drop", "slow", "error", "rate_limit", "reject")


@dataclass
class Fault:
    """One injected fault: where it applies, what it does and how many times."""

    id: int
    route: str
    mode: FaultMode
    method: str | None = None
    seconds: float = 0.0
    count: int | None = None
    retry_after: int = 1
    status: int = 500
    message: str = "add fail"

    def applies(self, method: str, path: str) -> bool:
        """Whether this fault covers a request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.route)


class FaultTable:
    """The active faults of one sandbox, first added first matched."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> Fault:
        """Add a fault from the control API's JSON; ValueError names what is wrong."""
        mode = spec.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        route = spec.get("route", "*")
        if not isinstance(route, str) or not route:
            raise ValueError("route must be a non-empty glob such as /api/leads*")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer")
        method = spec.get("method")
        fault = Fault(
            id=next(self._ids),
            route=route,
            mode=mode,
            method=str(method).upper() if method else None,
            seconds=float(spec.get("seconds", 0.0)),
            count=count,
            retry_after=int(spec.get("retry_after", 1)),
            status=int(spec.get("status", 404 if mode == "reject" else 500)),
            message=str(spec.get("message", "add fail")),
        )
        self._faults.append(fault)
        logger.info("fault added: %s", fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for a request, counting it as fired; None when there is none."""
        for fault in self._faults:
            if fault.applies(method, path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def remove(self, fault_id: int) -> bool:
        """Remove one fault by id; False when there was none."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def snapshot(self) -> list[dict[str, Any]]:
        """The active faults, for the control API."""
        return [asdict(f) for f in self._faults]
