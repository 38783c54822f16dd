"""A sample event for the builder's field picker: real data where there is any.

    sample = await sample_event("perfex.leads.created", redis=redis, perfex=client)
    sample["event"], sample["source"]          # source: "stored" | "perfex" | "reference"

In order: the newest stored event of that type; else a record read from Perfex
(`/zapier/test/<resource>` for the polled five, else the first page of the list
endpoint); else the API reference's example. Asking Perfex is bounded in time and size,
and a Perfex that is down, slow or refusing only means the next source is used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge import constants
from bridge.builder import _trigger_data as words
from bridge.builder.catalogue import known_event_type
from bridge.builder.reference_samples import reference_event
from bridge.events import utc_now_iso
from bridge.exceptions import PerfexError, StoreUnavailable, UnknownEventType
from bridge.perfex.client import PerfexClient
from bridge.rules.model import Ruleset
from bridge.settings import Settings

logger = logging.getLogger("bridge.builder.samples")

#: Seconds the builder waits for Perfex before it falls back to the reference.
PERFEX_TIMEOUT = 5.0
#: A record larger than this (as JSON) is not used as a sample.
MAX_RECORD_BYTES = 256 * 1024
#: How many stored events (newest first) are looked through for one of the type.
SCAN_CAP = 5000
_BATCH = 200
#: The longest event type accepted.
MAX_TYPE_LENGTH = 200
_TYPE = re.compile(r"^[A-Za-z0-9_.-]+$")


async def sample_event(
    event_type: str,
    *,
    redis: Redis,
    perfex: PerfexClient | None,
    ruleset: Ruleset | None = None,
    perfex_wait: float = PERFEX_TIMEOUT,
    verify: str | None = None,
) -> dict[str, Any]:
    """`{"event": {...}, "source": ...}` for `event_type`; UnknownEventType if it cannot occur.

    `ruleset` names the hooks (`webhook.<hook>` types) and scheduled rules; `perfex` may
    be None when no Perfex is configured. `verify` is the scheme of a hook the builder is
    still creating: `webhook.<new name>` then gets that sender's sample body.
    """
    if verify is not None and verify not in words.SCHEMES:
        raise UnknownEventType(f"unknown verification scheme {verify[:40]!r}")
    if verify is None or not event_type.startswith("webhook."):
        check_event_type(event_type, ruleset)
    elif len(event_type) > MAX_TYPE_LENGTH or not _TYPE.match(event_type):
        raise UnknownEventType(f"{event_type[:MAX_TYPE_LENGTH]!r} is not a webhook event type")
    stored = await newest_stored(redis, event_type)
    if stored is not None:
        return {"event": stored, "source": "stored"}
    parts = event_type.split(".")
    if perfex is not None and parts[0] == "perfex":
        record = await perfex_record(perfex, parts[1], perfex_wait)
        if record is not None:
            return {"event": _perfex_event(event_type, record), "source": "perfex"}
    if parts[0] == "webhook" and ruleset is not None and parts[1] in ruleset.hooks:
        verify = str(ruleset.hooks[parts[1]].verify)
    return {"event": reference_event(event_type, verify=verify), "source": "reference"}


async def schedule_sample(rule_name: str, *, redis: Redis) -> dict[str, Any]:
    """The sample of a scheduled rule (maybe not saved yet): its newest stored tick, else
    a tick made up for it; its type is `schedule.<rule>`, as the scheduler fires it."""
    if len(rule_name) > MAX_TYPE_LENGTH or not _TYPE.match(rule_name):
        raise UnknownEventType(f"{rule_name[:MAX_TYPE_LENGTH]!r} is not a rule name")
    event_type = f"schedule.{rule_name}"
    stored = await newest_stored(redis, event_type)
    if stored is not None:
        return {"event": stored, "source": "stored"}
    return {"event": reference_event(event_type), "source": "reference"}


def perfex_client(settings: Settings) -> PerfexClient | None:
    """A short-lived Perfex client for samples (None without BRIDGE_PERFEX_URL and token);
    the caller closes it."""
    if not settings.perfex_url or settings.perfex_token is None:
        return None
    return PerfexClient(
        settings.perfex_url,
        settings.perfex_token.get_secret_value(),
        timeout=PERFEX_TIMEOUT,
        max_connections=2,
    )


def check_event_type(event_type: str, ruleset: Ruleset | None) -> None:
    """UnknownEventType unless `event_type` is one the bridge can produce."""
    if len(event_type) > MAX_TYPE_LENGTH:
        raise UnknownEventType(f"event type too long (over {MAX_TYPE_LENGTH} characters)")
    if not _TYPE.match(event_type) or not known_event_type(event_type, ruleset):
        raise UnknownEventType(
            f"unknown event type {event_type!r}: GET /api/catalogue lists the triggers"
        )


async def newest_stored(redis: Redis, event_type: str) -> dict[str, Any] | None:
    """The newest stored event of exactly this type, or None.

    Events are indexed by time only, so this walks the index newest first, `_BATCH` ids a
    round trip, and gives up after `SCAN_CAP` ids: a rare type never makes a request slow.
    """
    try:
        for start in range(0, SCAN_CAP, _BATCH):
            ids = await redis.zrevrange(constants.EVENTS_BY_TIME, start, start + _BATCH - 1)
            if not ids:
                return None
            raws = await redis.mget([constants.EVENT_KEY + _text(i) for i in ids])
            for raw in raws:
                if raw is None:
                    continue
                event = json.loads(raw)
                if isinstance(event, dict) and event.get("type") == event_type:
                    return event
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"event store unavailable: {exc}") from exc
    return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def perfex_record(perfex: PerfexClient, resource: str, wait: float) -> Any:
    """One recent record of `resource` read from Perfex, or None (down, empty, too big)."""
    if resource not in words.LIST_RESOURCES:
        return None
    try:
        async with asyncio.timeout(wait):
            record = await _read_record(perfex, resource)
    except (PerfexError, TimeoutError) as exc:
        logger.info("sample of %s: Perfex gave none (%s)", resource, exc)
        return None
    if not isinstance(record, dict) or not record:
        return None
    if len(json.dumps(record, default=str)) > MAX_RECORD_BYTES:
        logger.info("sample of %s: the record is over %d bytes", resource, MAX_RECORD_BYTES)
        return None
    return record


async def _read_record(perfex: PerfexClient, resource: str) -> Any:
    if resource in words.ZAPIER_RESOURCES:
        answer = await perfex.call("perfex.zapier.test", {"resource": resource})
        body = answer.body
        if isinstance(body, dict) and isinstance(body.get("data"), dict) and body["data"]:
            return body["data"]
    rows = await perfex.list(resource, page=1, per_page=1)
    if isinstance(rows, dict):
        rows = rows.get("data")
    if isinstance(rows, list) and rows:
        return max(rows, key=_record_number) if len(rows) > 1 else rows[0]
    if isinstance(rows, dict):
        return rows
    return None


def _record_number(row: Any) -> int:
    """A row's numeric id (legacy lists answer every row: the newest has the highest)."""
    if not isinstance(row, dict):
        return -1
    for key in ("id", "userid", "ticketid", "staffid", "eventid"):
        value = row.get(key)
        if isinstance(value, int | str) and str(value).isdigit():
            return int(value)
    return -1


def _perfex_event(event_type: str, record: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": f"sample:{event_type}",
        "type": event_type,
        "source": "perfex",
        "time": utc_now_iso(),
        "data": record,
    }
    if event_type.endswith(".updated"):
        field = "status" if "status" in record else next(iter(record), None)
        event["changes"] = {field: [None, record[field]]} if field else {}
    return event
