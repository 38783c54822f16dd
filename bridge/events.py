"""Events: what the poller and the inbound endpoint produce and the rules consume.

An event is stored in Redis before anything acknowledges it (the poller's cursor, a 202 to
a webhook sender). Its id is deterministic where the source allows, so storing the same
change twice keeps one event: `store` is an atomic "set if absent".
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge import constants
from bridge.exceptions import StoreUnavailable


def utc_now_iso() -> str:
    """The current time as an ISO-8601 UTC string with a Z, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Event:
    """One thing that happened: a Perfex record created/changed/deleted, a webhook received."""

    #: Deterministic where possible: "perfex:leads:42:created", "webhook:github:<delivery>".
    id: str
    #: "perfex.leads.created", "webhook.github.issues", "bridge.poller.gap", ...
    type: str
    #: "perfex", "webhook" or "bridge".
    source: str
    #: The record as Perfex returned it, or the parsed webhook body.
    data: Any
    #: When the bridge saw it (ISO-8601 UTC).
    time: str = field(default_factory=utc_now_iso)
    #: For `updated` events: {field: [old, new]}.
    changes: dict[str, list[Any]] | None = None
    #: For webhook events: request headers, lower-cased, credentials removed.
    headers: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event as the JSON-able mapping templates and the admin API see."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "time": self.time,
            "data": self.data,
        }
        if self.changes is not None:
            out["changes"] = self.changes
        if self.headers is not None:
            out["headers"] = self.headers
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), default=str)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        return cls(
            id=str(raw["id"]),
            type=str(raw["type"]),
            source=str(raw.get("source", "")),
            data=raw.get("data"),
            time=str(raw.get("time") or utc_now_iso()),
            changes=raw.get("changes"),
            headers=raw.get("headers"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        return cls.from_dict(json.loads(text))


def event_json(event: Event, data_json: str | None = None) -> str:
    """`event.to_json()`; with `data_json`, the data's own JSON text (a webhook's body as
    received, which parses to `event.data`) stands in for encoding `event.data` again:
    the same document once parsed, without the cost of encoding a large body twice."""
    if data_json is None:
        return event.to_json()
    fields = event.to_dict()
    head = {name: fields.pop(name) for name in ("id", "type", "source", "time")}
    del fields["data"]  # to_dict's order: id, type, source, time, data, then the rest
    text = _compact(head)[:-1] + ',"data":' + data_json
    return text + ("," + _compact(fields)[1:] if fields else "}")


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


# For each event: SET NX it, index it by time and append its id to the router's stream.
# One script call stores a whole page: per event, either all three happen or none, so no
# stored event is ever left unrouted, and the stream keeps the order given.
# KEYS: the time index, the stream, then one event key per event.
# ARGV: the TTL, the time, then each event's JSON and id.
_STORE_SCRIPT = """
local created = {}
for i = 3, #KEYS do
  local json_at = (i - 3) * 2 + 3
  if redis.call('SET', KEYS[i], ARGV[json_at], 'NX', 'EX', ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[json_at + 1])
    redis.call('XADD', KEYS[2], '*', 'id', ARGV[json_at + 1])
    created[#created + 1] = 1
  else
    created[#created + 1] = 0
  end
end
return created
"""


# One event, first claiming a key for its id (a webhook body's replay key): when the key
# already names another event, nothing is stored and that id is returned, so the caller
# answers with it (or stores under it); else the event is stored as by _STORE_SCRIPT.
# Claim and store are one atomic call: one round trip per accepted webhook.
# KEYS: the time index, the stream, the event key, the claim key.
# ARGV: the TTL, the time, the event's JSON, its id, the claim's TTL.
# Returns {1 if stored else 0, the id the claim names}.
_CLAIM_AND_STORE_SCRIPT = """
if not redis.call('SET', KEYS[4], ARGV[4], 'NX', 'EX', ARGV[5]) then
  local first = redis.call('GET', KEYS[4])
  if first and first ~= ARGV[4] then
    return {0, first}
  end
end
if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'EX', ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[4])
  return {1, ARGV[4]}
end
return {0, ARGV[4]}
"""


class EventStore:
    """Events in Redis: one string key per event, a time index, and the router's stream.

    `store` is idempotent on the event id: it returns True only the first time, so the
    same change seen twice (an overlapping poll, a sender's retry) is one event.
    """

    def __init__(
        self, redis: Redis, retention_seconds: int = constants.DEFAULT_RETENTION_SECONDS
    ) -> None:
        self.redis = redis
        self.retention_seconds = retention_seconds
        self._store_script = redis.register_script(_STORE_SCRIPT)
        self._claim_script = redis.register_script(_CLAIM_AND_STORE_SCRIPT)

    async def store(self, event: Event, data_json: str | None = None) -> bool:
        """Store the event unless its id is already stored; True when it is new.
        `data_json`: its data's own JSON text, if at hand (`event_json`)."""
        (created,) = await self._store([(event, event_json(event, data_json))])
        return created

    async def store_many(self, events: Sequence[Event]) -> list[bool]:
        """Store several events in one round trip, in order; True per event that was new."""
        return await self._store([(event, event.to_json()) for event in events])

    async def _store(self, encoded: Sequence[tuple[Event, str]]) -> list[bool]:
        if not encoded:
            return []
        keys = [constants.EVENTS_BY_TIME, constants.EVENT_STREAM]
        args: list[str | int | float] = [self.retention_seconds, time.time()]
        for event, text in encoded:
            keys.append(constants.EVENT_KEY + event.id)
            args += (text, event.id)
        try:
            created = await self._store_script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"event store unavailable: {exc}") from exc
        return [bool(flag) for flag in created]

    async def store_claiming(
        self, event: Event, claim_key: str, claim_ttl: int, data_json: str | None = None
    ) -> bool:
        """Store the event unless its id is stored, first claiming `claim_key` for its id
        (SET NX, `claim_ttl` seconds); True when it is new. When the key already names
        another event, that event's id becomes `event.id` and the event is stored under
        it unless that one is (a replay is its first delivery's duplicate). One round
        trip, except when a claim names another id (a replay): then two. `data_json` as
        for `store`.
        """
        keys = [
            constants.EVENTS_BY_TIME,
            constants.EVENT_STREAM,
            constants.EVENT_KEY + event.id,
            claim_key,
        ]
        args: list[str | int | float] = [
            self.retention_seconds,
            time.time(),
            event_json(event, data_json),
            event.id,
            claim_ttl,
        ]
        try:
            created, claimed = await self._claim_script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"event store unavailable: {exc}") from exc
        first = claimed.decode() if isinstance(claimed, bytes) else str(claimed)
        if first == event.id:
            return bool(created)
        event.id = first  # stored already, unless that first store expired or failed
        return await self.store(event, data_json)

    async def stage(self, pipe: Any, events: Sequence[Event]) -> None:
        """Queue `store_many` on a pipeline (e.g. in the transaction of a dead letter)."""
        keys = [constants.EVENTS_BY_TIME, constants.EVENT_STREAM]
        args: list[str | int | float] = [self.retention_seconds, time.time()]
        for event in events:
            keys.append(constants.EVENT_KEY + event.id)
            args += (event.to_json(), event.id)
        await self._store_script(keys=keys, args=args, client=pipe)

    async def prune(self) -> int:
        """Drop time-index entries of events past the retention (their keys expired)."""
        cutoff = time.time() - self.retention_seconds
        try:
            return int(await self.redis.zremrangebyscore(constants.EVENTS_BY_TIME, "-inf", cutoff))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"event store unavailable: {exc}") from exc

    async def get(self, event_id: str) -> Event | None:
        """The stored event, or None when it is unknown or expired."""
        try:
            raw = await self.redis.get(constants.EVENT_KEY + event_id)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"event store unavailable: {exc}") from exc
        return Event.from_json(raw) if raw else None
