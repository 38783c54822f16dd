"""Which Perfex API module the sandbox plays: the current v3 one, or an older one.

    GET  /_sandbox/module
    POST /_sandbox/module   {"version": "v3" | "legacy", "no_list": ["invoices", ...],
                             "webhooks": true | false}

`legacy` serves only the lists the reference documents (the others answer an HTML 404),
ignores paging/sort/fields, and has no `/api/webhooks`. `no_list` takes lists away one by
one from either version; `webhooks` switches the webhooks API (and deliveries) on or off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("bridge.sandbox.module")

VERSIONS = ("v3", "legacy")
#: The lists the reference documents: an older module serves only these.
LEGACY_LISTS = frozenset(
    {
        "calendar",
        "customers",
        "items",
        "leads",
        "payments",
        "proposals",
        "subscriptions",
        "tickets",
        "timesheets",
    }
)
CI_404 = (
    '<!DOCTYPE html><html lang="en"><head><title>404 Page Not Found</title></head>'
    '<body><div id="container"><h1>404 Page Not Found</h1>'
    "<p>The page you requested was not found.</p></div></body></html>"
)


@dataclass
class Module:
    """The module version being played."""

    version: str = "v3"
    no_list: set[str] = field(default_factory=set)
    webhooks: bool = True

    def serves_list(self, resource: str) -> bool:
        """Whether GET /api/<resource> (no id) exists in this module."""
        if resource in self.no_list:
            return False
        return self.version == "v3" or resource in LEGACY_LISTS

    @property
    def has_webhooks(self) -> bool:
        return self.webhooks and self.version == "v3"

    def configure(self, body: dict[str, Any]) -> None:
        """Apply a control request; ValueError on a bad value (nothing changed then)."""
        version = body.get("version", self.version)
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}")
        no_list = body.get("no_list", sorted(self.no_list))
        if not isinstance(no_list, list) or not all(isinstance(n, str) for n in no_list):
            raise ValueError("no_list must be a list of resource names")
        webhooks = body.get("webhooks", self.webhooks)
        if not isinstance(webhooks, bool):
            raise ValueError("webhooks must be true or false")
        self.version, self.no_list, self.webhooks = version, set(no_list), webhooks

    def snapshot(self) -> dict[str, Any]:
        return {"version": self.version, "no_list": sorted(self.no_list), "webhooks": self.webhooks}
