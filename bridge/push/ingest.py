"""One Perfex push delivery -> one stored event, the same event the poller would make.

Thin `data` (`{"id": N, "_source_hook": ...}`) is completed by `GET /<resource>/<id>`
before the event is stored; the event's `data` is the record, with what the push said
under `data.push` (`{"event", "timestamp", "data"}`). When that GET fails (Perfex down,
rate limited, token refused, or the shared Perfex limit did not admit it: `admit`)
nothing is stored and the delivery is answered 503: the module retries with backoff, and
the poller remains the safety net for created/updated/deleted. What the push carried is
stored as it came only when there is nothing to fetch: no Perfex configured
(`source` None), no record id, a resource without a GET, or a record already gone.

Event ids are the poller's: `created` is `perfex:<res>:<id>:created`; `updated` hashes
the old state (the snapshot the poll keeps, or a change a push stored ahead of it) and
the new state computed from the fetched record over the same fingerprint columns;
`deleted` hashes the last state. So push and poll make one event whichever comes first;
the second arrival is counted in `bridge_trigger_duplicates{source=push|poll}`. Other
pushes (paid, status_changed, reply_created, ...) have no poll counterpart: their id
hashes the delivery body, so a redelivery is one event.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bridge.events import Event, EventStore
from bridge.exceptions import PerfexError
from bridge.perfex.catalogue import OPERATIONS
from bridge.poller import keys, state
from bridge.poller.created import created_event
from bridge.poller.fingerprint import canonical, fingerprint
from bridge.poller.reconcile import deleted_event, updated_event
from bridge.poller.source import PerfexSource
from bridge.push.mapping import map_event

logger = logging.getLogger("bridge.push.ingest")

_CRUD = ("created", "updated", "deleted")
_MAX_ID = 40


class BadDelivery(ValueError):
    """The body is not a Perfex webhook delivery; the message says what is wrong."""


class FetchFailed(RuntimeError):
    """The record could not be fetched: answer 503 so the module delivers again."""


@dataclass(slots=True)
class Delivery:
    """A parsed delivery: `{"event", "timestamp", "data"}`."""

    event: str
    resource: str
    what: str
    timestamp: Any
    data: dict[str, Any]
    #: The record id (data.id), as text, or None.
    rid: str | None

    @property
    def push(self) -> dict[str, Any]:
        """What the push said, as kept on the event (`signature` dropped)."""
        return {"event": self.event, "timestamp": self.timestamp, "data": self.data}


def parse_delivery(body: Any) -> Delivery:
    """Check the body's shape; BadDelivery otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise BadDelivery('not a Perfex webhook delivery: {"event", "timestamp", "data"} expected')
    mapped = map_event(body["event"])
    if mapped is None:
        raise BadDelivery("the event name is not <thing>_<what> in lower case")
    data = body.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadDelivery("data must be a JSON object")
    raw_id = data.get("id")
    rid: str | None = None
    if isinstance(raw_id, int | str) and not isinstance(raw_id, bool):
        rid = str(raw_id).strip()
        if not rid or len(rid) > _MAX_ID or not rid.isdigit():
            raise BadDelivery("data.id must be a record id (digits)")
    return Delivery(body["event"], mapped[0], mapped[1], body.get("timestamp"), data, rid)


def fetchable(resource: str) -> bool:
    """Whether the bridge can GET one record of this resource."""
    return f"perfex.{resource}.get" in OPERATIONS


@dataclass(slots=True)
class Outcome:
    event_id: str
    event_type: str
    duplicate: bool


def _body_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


async def _fetch(source: PerfexSource | None, d: Delivery) -> dict[str, Any] | None:
    if source is None or d.rid is None or not fetchable(d.resource) or d.what == "deleted":
        return None
    try:
        return await source.get(d.resource, d.rid)
    except PerfexError as exc:
        raise FetchFailed(f"GET /{d.resource}/{d.rid} failed: {exc}") from exc


async def _updated(
    redis: Redis, source: PerfexSource | None, d: Delivery, record: dict[str, Any]
) -> tuple[Event, str]:
    assert d.rid is not None
    cols = (
        await state.columns_for(redis, source, d.resource, record)
        if source is not None
        else state.scalar_columns(record)
    )
    new = state.project(record, cols)
    pending = await state.get_pending(redis, d.resource, d.rid)
    snap = await redis.hget(keys.SNAPSHOT + d.resource, d.rid)  # type: ignore[misc]
    snapshot = snap.decode() if isinstance(snap, bytes) else snap
    old = pending.state if pending is not None and pending.state is not None else snapshot
    data = {**record, "push": d.push}
    if old is not None and old == new:
        # The bridge already holds this state: the change that made it is this one.
        known = pending.event_id if pending is not None else None
        known = known or await state.last_event(redis, d.resource, d.rid)
        event_id = known or f"perfex:{d.resource}:{d.rid}:updated:" + fingerprint(
            new, canonical(record)
        )
        event = Event(event_id, f"perfex.{d.resource}.updated", "perfex", data, changes={})
        return event, new
    return updated_event(d.resource, d.rid, old or "", new, data), new


async def _deleted(redis: Redis, d: Delivery, raw: bytes) -> Event:
    assert d.rid is not None
    pending = await state.get_pending(redis, d.resource, d.rid)
    kind = f"perfex.{d.resource}.deleted"
    if pending is not None and pending.state is None:
        return Event(pending.event_id, kind, "perfex", {"id": d.rid, "push": d.push})
    snap = await redis.hget(keys.SNAPSHOT + d.resource, d.rid)  # type: ignore[misc]
    last = pending.state if pending is not None else None
    last = last or (snap.decode() if isinstance(snap, bytes) else snap)
    if last is not None:
        event = deleted_event(d.resource, d.rid, last)
        event.data = {**event.data, "push": d.push}
        return event
    known = await state.last_event(redis, d.resource, d.rid)
    if known is not None and ":deleted:" in known:
        return Event(known, kind, "perfex", {"id": d.rid, "push": d.push})
    event_id = f"perfex:{d.resource}:{d.rid}:deleted:{_body_id(raw)}"
    return Event(event_id, kind, "perfex", {"id": d.rid, "push": d.push})


async def ingest(
    redis: Redis, store: EventStore, source: PerfexSource | None, body: Any, raw: bytes
) -> Outcome:
    """Store the event of one delivery (see the module docstring); never stores it twice.

    BadDelivery for a malformed body, FetchFailed when the record cannot be fetched.
    """
    d = parse_delivery(body)
    record = await _fetch(source, d)
    pending_state: str | None = None
    crud = d.what in _CRUD and d.rid is not None
    if d.what == "deleted" and d.rid is not None:
        event = await _deleted(redis, d, raw)
    elif record is None:
        # Nothing to fetch (no id, a resource without GET, or gone already): keep the push.
        crud = False
        suffix = d.what if d.what == "created" and d.rid else f"{d.what}:{_body_id(raw)}"
        event_id = f"perfex:{d.resource}:{d.rid or '-'}:{suffix}"
        event = Event(
            event_id, f"perfex.{d.resource}.{d.what}", "perfex", {**d.data, "push": d.push}
        )
        event.data.pop("signature", None)
    elif d.what == "created":
        assert d.rid is not None
        event = created_event(d.resource, {**record, "push": d.push}, d.rid)
        pending_state = state.project(record, state.scalar_columns(record))
    elif d.what == "updated":
        try:
            event, pending_state = await _updated(redis, source, d, record)
        except PerfexError as exc:  # learning the fingerprint columns reads one list row
            raise FetchFailed(f"GET /{d.resource} (its columns) failed: {exc}") from exc
    else:
        event_id = f"perfex:{d.resource}:{d.rid}:{d.what}:{_body_id(raw)}"
        event = Event(
            event_id, f"perfex.{d.resource}.{d.what}", "perfex", {**record, "push": d.push}
        )
    created = await store.store(event)
    if not created:
        await state.count_duplicate(redis, "push")
    elif crud:
        assert d.rid is not None
        pending = state.Pending(event.id, pending_state)
        await state.set_pending(redis, d.resource, d.rid, pending, store.retention_seconds)
    logger.info("push %s: %s %s", d.event, "duplicate of" if not created else "stored", event.id)
    return Outcome(event.id, event.type, duplicate=not created)
