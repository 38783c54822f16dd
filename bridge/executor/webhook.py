"""The `webhook:` action: one signed HTTP request, classified into success or DeliveryError.

Signing follows Standard Webhooks: `webhook-id` (the SAME on every retry of one delivery:
derived from the run id and the step index, see `webhook_id`), `webhook-timestamp` (Unix
seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
`{id}.{timestamp}.{body}` of the exact bytes sent. A secret `whsec_<base64>` signs with the
decoded bytes; a secret without that prefix signs with its UTF-8 bytes (receivers using the
`standardwebhooks` library should then be given `whsec_` + base64 of those bytes).

Only 2xx is success; redirects are not followed (3xx is a permanent failure, like 410 and
the other 4xx); network errors, timeouts, 429 and 5xx are retryable, with `Retry-After`.
One `aiohttp.ClientSession` per worker process (`make_client`) whose resolver is the SSRF
guard (`ssrf.GuardedResolver`). aiohttp rather than httpx: about a tenth of the CPU per
request (bench/bench_http.py), the largest single cost of a delivered step (issue 15).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bridge.exceptions import DeliveryError, TargetRefused
from bridge.executor import ssrf
from bridge.executor.retry import parse_retry_after
from bridge.payloads import problem, scrub

logger = logging.getLogger("bridge.executor.webhook")

#: Default request timeout (seconds), within Standard Webhooks' 15 to 30 s.
DEFAULT_TIMEOUT = 15.0
#: How much of a response body is kept in the run history.
EXCERPT_BYTES = 2048
#: The most of a response body that is read at all (a later step may use it as
#: `steps.<id>.body`); the rest is never read, so a receiver cannot flood a worker.
MAX_RESPONSE_BYTES = 256 * 1024
USER_AGENT = "perfex-bridge"


def make_client(allow_private: bool, max_connections: int = 200) -> aiohttp.ClientSession:
    """The worker's shared outbound client: no redirects, no env proxies, SSRF-guarded.

    Made inside the running loop (aiohttp binds its connector to it).
    """
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        # no DNS cache: each new connection is one lookup, checked, then connected to.
        use_dns_cache=False,
        resolver=None if allow_private else ssrf.GuardedResolver(),
    )
    return aiohttp.ClientSession(
        connector=connector,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
        raise_for_status=False,
    )


def webhook_id(run_id: str, step_index: int) -> str:
    """The delivery's idempotency key, stable across retries and worker crashes."""
    digest = hashlib.sha256(f"{run_id}\x00{step_index}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def signing_key(secret: str) -> bytes:
    """The HMAC key: base64-decoded after `whsec_`, else the secret's UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except ValueError:
            raise DeliveryError(
                "the webhook secret starts with whsec_ but is not valid base64", retryable=False
            ) from None
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for these exact bytes."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def encode_body(body: Any) -> tuple[bytes, str]:
    """The bytes to send and their default content type."""
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body, separators=(",", ":"), default=str).encode(), "application/json"


@dataclass(slots=True)
class WebhookResponse:
    """What came back: kept (bounded) in the run history and as the step's output."""

    status: int
    #: The body as read (at most MAX_RESPONSE_BYTES).
    content: bytes
    elapsed_ms: float
    retry_after: float | None = None

    @property
    def body(self) -> str:
        """The excerpt kept in the run history."""
        return self.content[:EXCERPT_BYTES].decode("utf-8", "replace")

    def output(self) -> dict[str, Any]:
        """`steps.<id>`: the status and the body, parsed when it is JSON."""
        text = self.content.decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(text) if text else None
        except (ValueError, RecursionError):
            parsed = text
        if problem(parsed) is not None:  # deep nesting or lone surrogates: cut, never recurse
            parsed = scrub(parsed)
        return {"status": self.status, "body": parsed, "id": None}


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """At most MAX_RESPONSE_BYTES of the body; the rest is left unread (the connection is
    then closed, not reused)."""
    content = bytearray()
    async for chunk in response.content.iter_any():
        content += chunk
        if len(content) >= MAX_RESPONSE_BYTES:
            break
    return bytes(content[:MAX_RESPONSE_BYTES])


async def deliver(
    client: aiohttp.ClientSession,
    *,
    url: str,
    body: Any,
    msg_id: str,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (the request's whole time)
    allow_private: bool = False,
) -> WebhookResponse:
    """Send one request: the response whatever its status; DeliveryError when none came."""
    parts = urlsplit(url)
    ssrf.check_url(parts.scheme, parts.hostname or "", allow_private)
    content, content_type = encode_body(body)
    sent = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    sent.setdefault("content-type", content_type)
    sent["webhook-id"] = msg_id
    if secret:
        timestamp = int(time.time())
        sent["webhook-timestamp"] = str(timestamp)
        sent["webhook-signature"] = sign(secret, msg_id, timestamp, content)
    started = time.perf_counter()
    try:
        async with client.request(
            method,
            url,
            data=content if method != "GET" else None,
            headers=sent,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            received = await _read_bounded(response)
            status = response.status
            retry_after = response.headers.get("retry-after")
    except TargetRefused:
        raise
    except TimeoutError as exc:  # aiohttp's timeouts are TimeoutError too
        raise DeliveryError(
            f"{method} {url}: timed out ({type(exc).__name__})", retryable=True
        ) from None
    except aiohttp.InvalidURL as exc:  # e.g. a legacy numeric IPv4 host (127.1): never sent
        raise DeliveryError(f"{method} {url}: not a valid URL ({exc})", retryable=False) from None
    except aiohttp.ClientError as exc:
        raise DeliveryError(
            f"{method} {url}: {type(exc).__name__}: {exc}", retryable=True
        ) from None
    elapsed = (time.perf_counter() - started) * 1000
    return WebhookResponse(status, received, elapsed, parse_retry_after(retry_after))


def failure(response: WebhookResponse, method: str, url: str) -> DeliveryError | None:
    """None for 2xx; else the DeliveryError (429, 408, 425, 5xx retryable; 3xx, 4xx not)."""
    status = response.status
    if 200 <= status < 300:
        return None
    retryable = status in (408, 425, 429) or status >= 500
    why = "redirects are not followed" if 300 <= status < 400 else "the receiver refused it"
    return DeliveryError(
        f"{method} {url} answered {status}" + ("" if retryable else f" ({why})"),
        retryable=retryable,
        status=status,
        retry_after=response.retry_after,
    )
