"""`bridge perfex webhooks register|list|remove`: the bridge's webhook in Perfex.

`register` prints a fresh secret once: it goes into the environment of the `verify:
perfex` hook (`secret: ${PERFEX_WEBHOOK_SECRET}`) and is never shown again, by Perfex
or by the bridge.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys

from bridge.exceptions import ConfigError
from bridge.perfex import webhooks
from bridge.perfex.client import PerfexClient
from bridge.settings import Settings

logger = logging.getLogger("bridge.perfex.webhooks_cli")


def _client(settings: Settings) -> PerfexClient:
    url, token = settings.require_perfex()
    return PerfexClient(url, token, timeout=15)


def register(settings: Settings, url: str, events: str | None) -> int:
    """Create or update the bridge's webhook with a fresh secret; print it once."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--url must be an http(s) URL ending in /hooks/<name>, got {url!r}")
    wanted = [e.strip() for e in (events or "*").split(",") if e.strip()]

    async def go() -> int:
        async with _client(settings) as client:
            known = await webhooks.event_names(client)
            unknown = [
                e for e in wanted if e != "*" and not e.endswith((".*", "_*")) and e not in known
            ]
            if unknown:
                print(f"bridge: unknown Perfex event {', '.join(unknown)}", file=sys.stderr)
                return 1
            secret = secrets.token_urlsafe(32)
            webhook_id, created = await webhooks.register(client, url, wanted, secret)
        print(f"{'created' if created else 'updated'} webhook {webhook_id} -> {url}")
        print(f"events: {','.join(wanted)}")
        print(f"secret (shown once): {secret}")
        print("put it in the environment, e.g. PERFEX_WEBHOOK_SECRET, for a hook with")
        print("`verify: perfex` and `secret: ${PERFEX_WEBHOOK_SECRET}`")
        return 0

    return asyncio.run(go())


def list_(settings: Settings) -> int:
    """One line per webhook: id, active, name, url, events."""

    async def go() -> int:
        async with _client(settings) as client:
            rows = await webhooks.list_webhooks(client)
        if not rows:
            print("no webhooks")
        for row in rows:
            active = "on " if str(row.get("active", "1")) in ("1", "True", "true") else "off"
            events = row.get("events")
            shown = ",".join(events) if isinstance(events, list) else str(events)
            print(f"{row.get('id')}\t{active}\t{row.get('name')}\t{row.get('url')}\t{shown}")
        return 0

    return asyncio.run(go())


def remove(settings: Settings, webhook_id: int | None) -> int:
    """Delete a webhook by id, or the bridge's own one."""

    async def go() -> int:
        async with _client(settings) as client:
            target = webhook_id
            if target is None:
                mine = [
                    r
                    for r in await webhooks.list_webhooks(client)
                    if r.get("name") == webhooks.BRIDGE_WEBHOOK
                ]
                if not mine:
                    print("bridge: no webhook named perfex-bridge to remove", file=sys.stderr)
                    return 1
                target = int(mine[0]["id"])
            await webhooks.remove(client, target)
        print(f"removed webhook {target}")
        return 0

    return asyncio.run(go())
