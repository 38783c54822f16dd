"""Everything one sandbox instance holds, kept on `app.state.sandbox` (no module globals)."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.clock import SandboxClock
from bridge.sandbox.faults import FaultTable
from bridge.sandbox.module import Module
from bridge.sandbox.store import Store
from bridge.sandbox.webhooks import WebhookHub

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
    #: Which API module is played (v3 or an older one); see `module`.
    module: Module = field(default_factory=Module)
    #: The module's webhooks and their deliveries; see `webhooks`.
    webhooks: WebhookHub = field(default_factory=WebhookHub)

    def __post_init__(self) -> None:
        self.store.listeners.append(self._changed)

    def _changed(self, table: str, rid: int, kind: str, record: dict[str, Any] | None) -> None:
        if not self.module.has_webhooks:
            return
        self.webhooks.on_change(table, rid, kind, record)
        if table == "payments" and kind == "created" and record is not None:
            self._payment_made(rid, record)

    def _payment_made(self, payment_id: int, payment: dict[str, Any]) -> None:
        """A payment recorded: the module also says invoice_paid or invoice_partially_paid."""
        try:
            invoice_id = int(str(payment.get("invoiceid")))
        except ValueError:
            return
        invoice = self.store.get("invoices", invoice_id)
        if invoice is None:
            return
        paid = sum(
            _amount(p.get("amount"))
            for p in self.store.peek_all("payments")
            if str(p.get("invoiceid")) == str(invoice_id)
        )
        event = (
            "invoice_paid" if paid >= _amount(invoice.get("total")) else "invoice_partially_paid"
        )
        self.webhooks.fire(
            event,
            {"id": invoice_id, "payment_id": payment_id, "_source_hook": "after_payment_added"},
        )


def _amount(value: Any) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0
