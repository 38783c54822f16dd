"""The v3 module's webhooks API (`/api/webhooks`), as the bridge uses it.

`bridge perfex webhooks register|list|remove` (see `webhooks_cli`) create, show and delete
the webhook through which Perfex pushes its events to a `verify: perfex` hook. An older
module has no such API: every call then raises WebhooksUnsupported.
"""

from __future__ import annotations

import logging
from typing import Any

from bridge.exceptions import PerfexRejected, WebhooksUnsupported
from bridge.perfex.catalogue import Operation
from bridge.perfex.client import PerfexClient

logger = logging.getLogger("bridge.perfex.webhooks")

#: The name the bridge gives its webhook, so `register` finds it again to update it.
BRIDGE_WEBHOOK = "perfex-bridge"


def _op(verb: str, method: str, path: str, body: str = "none") -> Operation:
    return Operation(
        name=f"perfex.webhooks.{verb}",
        method=method,
        path=path,
        path_params=("id",) if "{id}" in path else (),
        required=(),
        optional=(),
        body=body,  # type: ignore[arg-type]
        returns_id="id" if verb == "create" else None,
        summary=f"webhooks: {verb}",
    )


LIST = _op("list", "GET", "/webhooks")
CREATE = _op("create", "POST", "/webhooks", "form")
UPDATE = _op("update", "PUT", "/webhooks/{id}", "form")
DELETE = _op("delete", "DELETE", "/webhooks/{id}")
EVENTS = _op("events", "GET", "/webhooks/events")


async def _call(client: PerfexClient, op: Operation, fields: dict[str, Any]) -> Any:
    try:
        return (await client.call(op, fields)).body
    except PerfexRejected as exc:
        # 404 is "no such API" unless Perfex says which webhook it did not find
        no_api = exc.status == 404 and "webhook not found" not in exc.message.lower()
        if no_api:
            raise WebhooksUnsupported(
                "this Perfex API module has no webhooks API (404 on /api/webhooks); "
                "upgrade the module to push events, polling goes on without it",
                status=404,
                method=op.method,
                path=op.path,
            ) from None
        raise


def _rows(body: Any) -> list[dict[str, Any]]:
    rows = body.get("data") if isinstance(body, dict) else body
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


async def list_webhooks(client: PerfexClient) -> list[dict[str, Any]]:
    """Every webhook of the install (secrets are never returned: `has_secret`)."""
    return _rows(await _call(client, LIST, {}))


async def event_names(client: PerfexClient) -> set[str]:
    """The module's event catalogue, flattened."""
    body = await _call(client, EVENTS, {})
    data = body.get("data") if isinstance(body, dict) else body
    names: set[str] = set()
    if isinstance(data, dict):
        for group, values in data.items():
            names.add(str(group))
            if isinstance(values, list):
                names.update(str(v) for v in values)
    elif isinstance(data, list):
        names.update(str(v) for v in data)
    return names


async def register(
    client: PerfexClient, url: str, events: list[str], secret: str, name: str = BRIDGE_WEBHOOK
) -> tuple[int, bool]:
    """Create the bridge's webhook, or update it (same name or URL); (id, created)."""
    fields = {"name": name, "url": url, "events": events, "secret": secret}
    for hook in await list_webhooks(client):
        if hook.get("name") == name or hook.get("url") == url:
            await _call(client, UPDATE, {"id": hook["id"], **fields})
            return int(hook["id"]), False
    body = await _call(client, CREATE, fields)
    return int(body["id"]), True


async def remove(client: PerfexClient, webhook_id: int) -> None:
    """Delete one webhook."""
    await _call(client, DELETE, {"id": webhook_id})
