"""Store a page of events in one round trip, in order, with EventStore's own script.

`EventStore.store` is one round trip per event: 500 new records would cost 500 of them.
This sends the store's registered script for every event in one pipeline instead, with
the same keys and arguments, so each event is still an atomic "set if absent + index +
stream" and the stream keeps the events in the order given. (To be replaced by an
`EventStore.store_many` when events.py gains one.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from redis.exceptions import RedisError

from bridge import constants
from bridge.events import Event, EventStore
from bridge.exceptions import StoreUnavailable

logger = logging.getLogger("bridge.poller.storing")


async def store_many(store: EventStore, events: Sequence[Event]) -> list[bool]:
    """Store each event unless its id is stored already; True per event that was new."""
    if not events:
        return []
    script = getattr(store, "_store_script", None)
    if script is None:  # an EventStore without the script: fall back to one at a time
        return [await store.store(event) for event in events]
    now = time.time()
    try:
        async with store.redis.pipeline(transaction=False) as pipe:
            for event in events:
                keys = [
                    constants.EVENT_KEY + event.id,
                    constants.EVENTS_BY_TIME,
                    constants.EVENT_STREAM,
                ]
                args = [event.to_json(), store.retention_seconds, now, event.id]
                await script(keys=keys, args=args, client=pipe)
            results = await pipe.execute()
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"event store unavailable: {exc}") from exc
    return [bool(result) for result in results]
