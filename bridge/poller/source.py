"""The three Perfex reads the poller makes: the Zapier poll, the list endpoints, one get.

Built on `PerfexClient`, whose errors are already the bridge's own: PerfexUnavailable
(network, 5xx), PerfexRateLimited (429, with Retry-After), PerfexRejected (401 and other
4xx). A 2xx body that is not the JSON expected becomes `MalformedResponse`, a
PerfexUnavailable, so the poller logs its start and tries again later.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from bridge.exceptions import PerfexRejected, PerfexUnavailable
from bridge.perfex.catalogue import OPERATIONS
from bridge.perfex.client import PerfexClient

logger = logging.getLogger("bridge.poller.source")

#: Items per page asked of paged list endpoints (the API's maximum).
LIST_PAGE_SIZE = 100
#: Pages read from one list endpoint at most, so a misbehaving server cannot loop us.
MAX_PAGES = 10_000


class MalformedResponse(PerfexUnavailable):
    """Perfex answered 2xx with a body that is not the JSON expected; `body` has its start."""


@dataclass(slots=True)
class PollPage:
    """One answer of `/api/zapier/poll/<resource>`."""

    records: list[dict[str, Any]]
    #: The server's clock at the end of the request (`meta.next_poll`).
    next_poll: int
    count: int


def has_list(resource: str) -> bool:
    """Whether the API has a list endpoint for the resource (reconcile and fallback)."""
    return f"perfex.{resource}.list" in OPERATIONS


def _malformed(what: str, path: str, body: Any) -> MalformedResponse:
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    return MalformedResponse(
        f"{what}: {text[:200]!r}", status=200, method="GET", path=path, body=text[:200]
    )


class PerfexSource:
    """The poller's view of one Perfex install."""

    def __init__(self, client: PerfexClient) -> None:
        self.client = client

    async def poll(self, resource: str, *, since: int, limit: int) -> PollPage:
        """Records created at or after `since` (server clock), newest first, at most `limit`."""
        path = f"/zapier/poll/{resource}"
        fields = {"resource": resource, "since": since, "limit": limit}
        body = (await self.client.call("perfex.zapier.poll", fields)).body
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise _malformed("malformed poll answer", path, body)
        meta = body.get("meta")
        try:
            next_poll = int(meta["next_poll"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            raise _malformed("poll answer without meta.next_poll", path, body) from None
        records = [r for r in body["data"] if isinstance(r, dict)]
        return PollPage(records=records, next_poll=next_poll, count=len(records))

    async def list_all(self, resource: str) -> list[dict[str, Any]]:
        """Every record of the resource's list endpoint, following pages where it has them."""
        path = f"/{resource}"
        paged = "page" in OPERATIONS[f"perfex.{resource}.list"].optional
        records: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"page": page, "per_page": LIST_PAGE_SIZE} if paged else {}
            body = await self.client.list(resource, **params)
            if isinstance(body, list):
                return records + [r for r in body if isinstance(r, dict)]
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise _malformed("malformed list answer", path, body)
            records.extend(r for r in body["data"] if isinstance(r, dict))
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            last = int(meta.get("last_page") or page)  # type: ignore[union-attr]
            if not paged or page >= last or not body["data"]:
                break
        return records

    async def exists(self, resource: str, rid: str) -> bool:
        """Whether GET /<resource>/<id> still finds the record (confirms a deletion)."""
        try:
            response = await self.client.call(f"perfex.{resource}.get", {"id": rid})
        except PerfexRejected as exc:
            if exc.status == 404:
                return False
            raise
        body = response.body
        if isinstance(body, list):
            return bool(body)
        return isinstance(body, dict) and bool(body)
