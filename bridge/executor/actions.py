"""Running one rendered step: a `webhook` or a `perfex.<resource>.<verb>` action.

Each action returns an `Outcome`: the step's output (`status`, `body`, `id`) on success or
the error, plus what the run history keeps (a redacted request summary and a bounded
response excerpt) and what the circuit breaker should learn (`ok`, `fail`, `neutral`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bridge.exceptions import (
    BridgeError,
    DeliveryError,
    PerfexError,
    PerfexRateLimited,
    PerfexUnavailable,
    TargetRefused,
)
from bridge.executor import webhook
from bridge.executor.limits import Outcome as BreakerOutcome
from bridge.executor.limits import host_target
from bridge.redaction import header_secrets, redact, redact_text, redact_values, url_secrets

logger = logging.getLogger("bridge.executor.actions")

#: Largest request summary kept in the history (bytes of JSON); longer ones are cut.
SUMMARY_BYTES = 4096


@dataclass(slots=True)
class Outcome:
    """What one attempt produced."""

    output: dict[str, Any] | None = None
    error: BaseException | None = None
    status: int | None = None
    response: str | None = None
    breaker: BreakerOutcome = "neutral"
    request: dict[str, Any] = field(default_factory=dict)


def _bounded(summary: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(summary, default=str)
    if len(text) <= SUMMARY_BYTES:
        return summary
    return {"excerpt": text[:SUMMARY_BYTES], "truncated": True}


def webhook_target(params: dict[str, Any]) -> str:
    """The limit/breaker target of a webhook step's URL."""
    parts = urlsplit(str(params.get("url", "")))
    return host_target(parts.hostname or "", parts.port, parts.scheme)


def webhook_secrets(params: dict[str, Any]) -> tuple[str, ...]:
    """Secret values in a webhook step, to cut out of anything stored: the signing secret,
    secret-named headers' values, the URL's password and secret-named query values."""
    secrets = [str(params["secret"])] if params.get("secret") else []
    headers = params.get("headers")
    if isinstance(headers, dict):
        secrets += header_secrets(headers)
    secrets += url_secrets(str(params.get("url", "")))
    return tuple(secrets)


async def run_webhook(
    client: aiohttp.ClientSession,
    params: dict[str, Any],
    *,
    event: dict[str, Any],
    msg_id: str,
    allow_private: bool,
    max_timeout: float,
    secrets: tuple[str, ...],
) -> Outcome:
    """Deliver a `webhook:` step; the body defaults to the event as a dict."""
    url = str(params.get("url", ""))
    method = str(params.get("method") or "POST").upper()
    body = params.get("body")
    body = event if body is None else body
    timeout = min(float(params.get("timeout") or webhook.DEFAULT_TIMEOUT), max_timeout)
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
    summary = {
        "method": method,
        "url": redact_text(url, secrets),
        "webhook_id": msg_id,
        "headers": redact(headers, secrets),
        "body": redact(body, secrets),
    }
    outcome = Outcome(request=_bounded(summary))
    try:
        response = await webhook.deliver(
            client,
            url=url,
            body=body,
            msg_id=msg_id,
            method=method,
            headers=headers,
            secret=str(params["secret"]) if params.get("secret") else None,
            timeout=timeout,
            allow_private=allow_private,
        )
    except TargetRefused as exc:
        outcome.error = exc
        return outcome
    except DeliveryError as exc:
        outcome.error, outcome.breaker = exc, "fail"
        return outcome
    outcome.status = response.status
    outcome.response = redact_text(response.body, secrets)
    error = webhook.failure(response, method, redact_text(url, secrets))
    if error is None:
        outcome.output = redact_values(response.output(), secrets)  # an echoed secret
        outcome.breaker = "ok"
    else:
        outcome.error = error
        if response.status == 429:
            outcome.breaker = "neutral"
        else:
            outcome.breaker = "fail" if error.retryable else "ok"
    return outcome


async def run_perfex(
    client: Any, action: str, operation: Any, params: dict[str, Any], secrets: tuple[str, ...]
) -> Outcome:
    """Call Perfex for a `perfex.<resource>.<verb>` step."""
    summary: dict[str, Any] = {"action": action, "fields": redact(params, secrets)}
    if operation is not None:
        summary["method"], summary["path"] = operation.method, operation.path
    outcome = Outcome(request=_bounded(summary))
    if client is None:
        outcome.error = BridgeError(
            "BRIDGE_PERFEX_URL and BRIDGE_PERFEX_TOKEN are needed for Perfex actions"
        )
        return outcome
    try:
        response = await client.call(operation or action, params)
    except PerfexError as exc:
        outcome.error, outcome.status = exc, exc.status
        outcome.response = redact_text(str(exc.body)[: webhook.EXCERPT_BYTES], secrets)
        if isinstance(exc, PerfexRateLimited):
            outcome.breaker = "neutral"
        elif isinstance(exc, PerfexUnavailable):
            outcome.breaker = "fail"
        else:
            outcome.breaker = "ok"
        return outcome
    except BridgeError as exc:
        outcome.error = exc
        return outcome
    outcome.status = response.status
    text = json.dumps(response.body, default=str)
    outcome.response = redact_text(text[: webhook.EXCERPT_BYTES], secrets)
    output = {"status": response.status, "body": response.body, "id": response.id}
    outcome.output = redact_values(output, secrets)
    outcome.breaker = "ok"
    return outcome


async def with_timeout(coro: Any, seconds: float, what: str) -> Outcome:
    """Run an action with a hard deadline, so arq's own job timeout never fires first."""
    try:
        async with asyncio.timeout(seconds):
            result: Outcome = await coro
            return result
    except TimeoutError:
        error = DeliveryError(f"{what}: no answer within {seconds:.0f} s", retryable=True)
        return Outcome(error=error, breaker="fail")
    except Exception as exc:  # a bug must end in the DLQ with its message, not loop
        logger.exception("%s: unexpected error", what)
        return Outcome(error=BridgeError(f"{what}: internal error {type(exc).__name__}: {exc}"))
