"""The async Perfex API client: one pooled connection set, every failure mapped to PerfexError.

Forms go out as `application/x-www-form-urlencoded` with PHP-style keys: PHP fills `$_POST`
from it, and CodeIgniter's REST controller parses it for PUT too, where a multipart body
is not parsed. Custom tables take JSON; GET and DELETE carry no body.

Failures, by what a retry can do about them:
    network error, timeout, 5xx           PerfexUnavailable (retry)
    429                                    PerfexRateLimited (retry after `retry_after`)
    3xx, 401, 403, 404, 409, other 4xx     PerfexRejected (no retry)
    2xx whose JSON says "status": false    PerfexRejected
Redirects are never followed: the authtoken must not travel to another host. The token is
never logged and is scrubbed from every message Perfex sends back.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlencode

import httpx

from bridge.exceptions import PerfexError, PerfexRateLimited, PerfexRejected, PerfexUnavailable
from bridge.perfex.catalogue import OPERATIONS, Operation, get_operation
from bridge.perfex.forms import encode_form

logger = logging.getLogger("bridge.perfex.client")

_MAX_BODY = 2000
_RESOURCE = re.compile(r"^[a-z_]+$")
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class PerfexResponse:
    """A successful answer: status, parsed JSON (or text), the new record's id if any."""

    status: int
    body: Any
    id: str | int | None
    elapsed_ms: float


class PerfexClient:
    """Calls the Perfex API at `base_url` (ending in /api) with the `authtoken` header."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 10,
    ) -> None:
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"authtoken": token, "accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            follow_redirects=False,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def call(self, operation: Operation | str, fields: Mapping[str, Any]) -> PerfexResponse:
        """Run one operation with the fields a rule gave; PerfexError on any failure."""
        op = get_operation(operation) if isinstance(operation, str) else operation
        path = _fill_path(op, fields)
        rest = {key: value for key, value in fields.items() if key not in op.path_params}
        request = self._build(op, path, rest)
        started = time.perf_counter()
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            raise self._unavailable(op, f"no answer in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise self._unavailable(
                op, f"cannot reach Perfex: {exc or type(exc).__name__}"
            ) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %s in %.1f ms", op.method, op.path, response.status_code, elapsed_ms)
        body = _parse(response)
        self._raise_for(op, response, body)
        return PerfexResponse(response.status_code, body, _new_id(op, body), elapsed_ms)

    async def poll(self, resource: str, *, since: int, limit: int) -> dict[str, Any]:
        """GET /zapier/poll/{resource}: records created since `since` (see the poll facts)."""
        fields = {"resource": resource, "since": since, "limit": limit}
        response = await self.call("perfex.zapier.poll", fields)
        if not isinstance(response.body, dict):
            raise PerfexRejected(
                "the poll answer is not a JSON object",
                status=response.status,
                method="GET",
                path=f"/zapier/poll/{resource}",
            )
        return response.body

    async def list(self, resource: str, **params: Any) -> Any:
        """All records of a resource from its list endpoint (GET /<resource>).

        Perfex answers an empty list with 404 "No data were found": that comes back as [].
        """
        op = OPERATIONS.get(f"perfex.{resource}.list") or _generic_list(resource)
        try:
            response = await self.call(op, params)
        except PerfexRejected as exc:
            if exc.status == 404 and exc.message.lower().startswith("no data were found"):
                return []
            raise
        return response.body

    def _build(self, op: Operation, path: str, rest: dict[str, Any]) -> httpx.Request:
        if op.body == "json":
            return self._http.build_request(op.method, path, json=rest)
        if op.body == "form":
            content = urlencode(encode_form(rest)).encode()
            headers = {"content-type": _FORM}
            return self._http.build_request(op.method, path, content=content, headers=headers)
        if op.body == "query":
            return self._http.build_request(op.method, path, params=tuple(encode_form(rest)))
        if rest:
            raise PerfexRejected(
                f"{op.name} takes no fields besides {', '.join(op.path_params) or 'none'};"
                f" got {', '.join(sorted(rest))}",
                method=op.method,
                path=op.path,
            )
        return self._http.build_request(op.method, path)

    def _raise_for(self, op: Operation, response: httpx.Response, body: Any) -> None:
        status = response.status_code
        if 200 <= status < 300 and not (isinstance(body, dict) and body.get("status") is False):
            return
        message = self._scrub(_message(body) or response.reason_phrase or f"HTTP {status}")
        where: dict[str, Any] = {"status": status, "method": op.method, "path": op.path}
        where["body"] = self._scrub(response.text[:_MAX_BODY])
        if status == 429:
            retry_after = _retry_after(response.headers.get("retry-after"))
            raise PerfexRateLimited(f"rate limited: {message}", retry_after=retry_after, **where)
        if status >= 500:
            raise PerfexUnavailable(f"server error: {message}", **where)
        if 300 <= status < 400:
            location = self._scrub(response.headers.get("location", "nowhere"))
            raise PerfexRejected(
                f"redirected to {location}, not followed; check BRIDGE_PERFEX_URL", **where
            )
        if status in (401, 403):
            raise PerfexRejected(f"authentication refused: {message}", **where)
        raise PerfexRejected(message, **where)

    def _unavailable(self, op: Operation, message: str) -> PerfexError:
        logger.debug("%s %s -> %s", op.method, op.path, message)
        return PerfexUnavailable(self._scrub(message), method=op.method, path=op.path)

    def _scrub(self, text: str) -> str:
        """Perfex may echo the token back (in an error page): never let it travel on."""
        return text.replace(self._token, "***") if self._token else text


def _fill_path(op: Operation, fields: Mapping[str, Any]) -> str:
    values: dict[str, str] = {}
    for name in op.path_params:
        value = fields.get(name)
        if value is None or value == "":
            raise PerfexRejected(
                f"{op.name} needs the path parameter {name!r}", method=op.method, path=op.path
            )
        values[name] = quote(encode_form({name: value})[0][1], safe="")
    return op.path.format(**values)


def _generic_list(resource: str) -> Operation:
    if not _RESOURCE.match(resource):
        raise PerfexRejected(f"not a Perfex resource name: {resource!r}")
    return Operation(
        name=f"perfex.{resource}.list",
        method="GET",
        path=f"/{resource}",
        path_params=(),
        required=(),
        optional=(),
        body="query",
        returns_id=None,
        summary=f"All {resource} (GET without an id).",
    )


def _parse(response: httpx.Response) -> Any:
    text = response.text
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _message(body: Any) -> str:
    """Perfex's own words: `message`, plus an `error` string or field-by-field object."""
    if isinstance(body, str):
        return " ".join(body.split())[:300]
    if not isinstance(body, dict):
        return ""
    parts = [str(body["message"])] if body.get("message") else []
    error = body.get("error")
    if isinstance(error, dict):
        parts.extend(
            f"{key}: {value}" for key, value in error.items() if value != body.get("message")
        )
    elif error:
        parts.append(str(error))
    return "; ".join(parts)


def _new_id(op: Operation, body: Any) -> str | int | None:
    if op.returns_id and isinstance(body, dict):
        value = body.get(op.returns_id)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from a number of seconds or an HTTP-date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
