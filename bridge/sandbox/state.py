"""Everything one sandbox instance holds, kept on `app.state.sandbox` (no module globals)."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.clock import SandboxClock
from bridge.sandbox.faults import FaultTable
from bridge.sandbox.store import Store

logger = logging.getLogger("bridge.sandbox.state")

#: How many API calls the call log keeps (oldest dropped first).
CALL_LOG_SIZE = 10_000


@dataclass
class Sandbox:
    """One sandbox: its data, its clock, its faults and the log of calls it received."""

    store: Store
    token: str
    control_token: str
    clock: SandboxClock = field(default_factory=SandboxClock)
    faults: FaultTable = field(default_factory=FaultTable)
    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=CALL_LOG_SIZE))
