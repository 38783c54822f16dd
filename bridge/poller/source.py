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

from bridge.exceptions import ListUnsupported, PerfexRejected, PerfexUnavailable
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


@dataclass(slots=True)
class ListPage:
    """One answer of a list endpoint, whichever shape it came in."""

    rows: list[dict[str, Any]]
    page: int
    last_page: int
    #: False for a plain array (an older module, or no paging asked): the whole list.
    enveloped: bool


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

    async def list_page(
        self,
        resource: str,
        *,
        page: int | None = None,
        per_page: int = LIST_PAGE_SIZE,
        fields: list[str] | None = None,
        sort: str | None = None,
    ) -> ListPage:
        """One page of a list; ListUnsupported when the module has no such list (404).

        Sends `page`/`per_page` (so a v3 module answers the envelope) unless `page` is
        None, plus `fields=`/`sort=` when given; an older module ignores them and answers
        a plain array of every row, which comes back as one last page.
        """
        params: dict[str, Any] = {}
        if page is not None:
            params.update(page=page, per_page=per_page)
        if fields:
            params["fields"] = ",".join(fields)
        if sort:
            params["sort"] = sort
        try:
            body = await self.client.list(resource, **params)
        except PerfexRejected as exc:
            if exc.status == 404:
                raise ListUnsupported(
                    f"GET /{resource} answers 404: this API module has no list of {resource}",
                    status=404,
                    method="GET",
                    path=f"/{resource}",
                ) from None
            raise
        if isinstance(body, list):
            rows = [r for r in body if isinstance(r, dict)]
            return ListPage(rows=rows, page=1, last_page=1, enveloped=False)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise _malformed("malformed list answer", f"/{resource}", body)
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        assert isinstance(meta, dict)
        try:
            current = int(meta.get("current_page") or meta.get("page") or page or 1)
            last = int(meta.get("last_page") or meta.get("total_pages") or current)
        except (TypeError, ValueError):
            raise _malformed("list answer with a bad meta", f"/{resource}", body) from None
        rows = [r for r in body["data"] if isinstance(r, dict)]
        return ListPage(rows=rows, page=current, last_page=last, enveloped=True)

    async def list_all(
        self,
        resource: str,
        *,
        fields: list[str] | None = None,
        sort: str | None = None,
        stats: dict[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Every row of a list, page by page until `page >= last_page` (never on an empty
        page: a page past the end is clamped to the last one and not empty)."""
        records: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = await self.list_page(resource, page=page, fields=fields, sort=sort)
            if stats is not None:
                stats["requests"] = stats.get("requests", 0) + 1
            records.extend(answer.rows)
            if not answer.enveloped or answer.page >= answer.last_page:
                break
        return records

    async def get(self, resource: str, rid: str) -> dict[str, Any] | None:
        """GET /<resource>/<id>: the whole record, or None when it is gone (404)."""
        try:
            response = await self.client.call(f"perfex.{resource}.get", {"id": rid})
        except PerfexRejected as exc:
            if exc.status == 404:
                return None
            raise
        body = response.body
        if isinstance(body, list):  # some resources answer a one-element list
            body = body[0] if body else None
        if body is None or isinstance(body, dict):
            return body or None
        raise _malformed("malformed record answer", f"/{resource}/{rid}", body)

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
