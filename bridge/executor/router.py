"""The router: stored events in, one run (and its first arq job) per matching rule out.

It consumes `constants.EVENT_STREAM` in the consumer group `router`: XREADGROUP with a
short block, so a new event is routed within milliseconds; for each entry the event's
rules are matched (`rules.current`) and each (event, rule) becomes a run record plus
its arq job `run:<event id>:<rule>:0`, created together only if the run does not exist
(`RunStore.create_many`), so a duplicate entry, a second router or a re-delivery is a
no-op. Entries are XACKed (and deleted, keeping the stream short) only after that. In a
worker, the router starts the runs it creates itself while the worker has room, and reads
no more entries than that (`direct.py`): a backlog waits in the stream for any router.
Entries a dead router left pending are taken over with XAUTOCLAIM after `claim_idle`
(`CLAIM_IDLE`, 10 s: a live router acknowledges within milliseconds of reading, and
routing an entry twice is harmless, since runs are created only if absent and only the
router that created a run starts it).
Every `sweep_interval` it also re-queues runs whose arq job was lost (`sweeper.py`), and
resumes overdue waiting runs whose job was lost (`delays.rescue_overdue`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bridge import constants
from bridge.events import Event
from bridge.executor import delays, keys, sweeper
from bridge.executor.direct import DirectRunner
from bridge.executor.history import RunStore
from bridge.executor.records import Run, run_id_for
from bridge.executor.runner import RulesSource

logger = logging.getLogger("bridge.executor.router")

Entry = tuple[str, str]  # (stream entry id, event id)

#: Seconds an entry may stay read but unacknowledged before another router takes it over
#: (as long as a dead worker's job lease: executor/leases.py).
CLAIM_IDLE = 10.0


def consumer_name() -> str:
    """A consumer name unique to this process."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Router:
    """Routes the event stream to runs; `run(stop)` until the event is set."""

    def __init__(
        self,
        redis: Redis,
        rules: RulesSource,
        store: RunStore,
        *,
        consumer: str | None = None,
        block_ms: int = 100,
        count: int = 500,
        claim_idle: float = CLAIM_IDLE,
        sweep_interval: float = 60.0,
        direct: DirectRunner | None = None,
    ) -> None:
        self.redis = redis
        self.rules = rules
        self.store = store
        self.consumer = consumer or consumer_name()
        self.block_ms = block_ms
        self.count = count
        self.claim_idle_ms = int(claim_idle * 1000)
        self._last_claim = 0.0
        self.sweep_interval = sweep_interval
        self._last_sweep = time.monotonic()
        self._own_pending = True
        #: Runs the routed runs itself when it has room (executor/direct.py).
        self.direct = direct

    async def ensure_group(self) -> None:
        """Create the consumer group (from the stream's start) unless it exists."""
        try:
            await self.redis.xgroup_create(
                constants.EVENT_STREAM, keys.ROUTER_GROUP, id="0", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Route until `stop` is set; Redis errors are logged and retried."""
        await self.ensure_group()
        while not stop.is_set():
            try:
                await self.step()
                if time.monotonic() - self._last_sweep > self.sweep_interval:
                    self._last_sweep = time.monotonic()
                    await sweeper.rescue(self.store)
                    await delays.rescue_overdue(self.store)
            except (RedisError, OSError) as exc:
                logger.warning("router: Redis error (%s); retrying in 1 s", exc)
                self._own_pending = True
                await asyncio.sleep(1.0)

    async def step(self) -> int:
        """One read (own pending first, then stale claims, then new entries); entries routed."""
        if self._own_pending:
            entries = await self._read("0", block=None)
            if entries:
                return await self.route(entries)
            self._own_pending = False
        if time.monotonic() - self._last_claim > self.claim_idle_ms / 2000:
            self._last_claim = time.monotonic()
            claimed = await self.claim_stale()
            if claimed:
                return claimed
        count = self.count
        if self.direct is not None:  # read no more than this worker can start now
            count = min(count, self.direct.room())
            if count <= 0:
                await self.direct.wait_for_room(self.block_ms / 1000)
                return 0
        return await self.route(await self._read(">", block=self.block_ms, count=count))

    async def _read(self, start: str, block: int | None, count: int | None = None) -> list[Entry]:
        answer = await self.redis.xreadgroup(
            keys.ROUTER_GROUP,
            self.consumer,
            {constants.EVENT_STREAM: start},
            count=count or self.count,
            block=block,
        )
        return [_entry(e) for _stream, entries in answer or [] for e in entries]

    async def claim_stale(self) -> int:
        """Take over and route entries another consumer left pending past `claim_idle`."""
        result = await self.redis.xautoclaim(
            constants.EVENT_STREAM,
            keys.ROUTER_GROUP,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id="0-0",
            count=self.count,
        )
        entries = [_entry(e) for e in result[1] if e and e[1]]
        if entries:
            logger.info("router: took over %d entries a stopped router left", len(entries))
        return await self.route(entries)

    async def route(self, entries: list[Entry]) -> int:
        """Create the runs of these entries' events, then acknowledge the entries."""
        if not entries:
            return 0
        event_ids = [event_id for _, event_id in entries]
        raws = await self.redis.mget([constants.EVENT_KEY + i for i in event_ids])
        runs: list[Run] = []
        events: list[Event] = []
        ruleset = self.rules.current
        for event_id, raw in zip(event_ids, raws, strict=True):
            if not raw:
                logger.warning("router: event %s is not stored (expired?); skipped", event_id)
                continue
            try:
                event = Event.from_json(raw)
                matched = [_new_run(event, rule.name) for rule in ruleset.match(event)]
            except Exception:  # a bad event must not block the stream; it can be replayed
                logger.exception("router: could not match event %s", event_id)
                continue
            runs += matched
            events += [event] * len(matched)
        kept = min(self.direct.room(), len(runs)) if self.direct is not None else 0
        lease_ms = self.direct.lease_ms if self.direct is not None else 0
        created = await self.store.create_many(runs, claimed=kept, lease_ms=lease_ms)
        for run, event, new in zip(runs[:kept], events, created, strict=False):
            if new and self.direct is not None:
                self.direct.start(run, event)
        ids = [entry_id for entry_id, _ in entries]
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xack(constants.EVENT_STREAM, keys.ROUTER_GROUP, *ids)
            pipe.xdel(constants.EVENT_STREAM, *ids)
            pipe.hincrby(constants.STATS, "events_routed", len(entries))
            await pipe.execute()
        return len(entries)


def _entry(raw: Any) -> Entry:
    entry_id, fields = raw
    event_id = fields.get(b"id", b"") if fields else b""
    return entry_id.decode(), event_id.decode()


def _new_run(event: Event, rule: str, replay: int | None = None) -> Run:
    run = Run(run_id_for(event.id, rule, replay), event.id, event.type, rule)
    if replay is not None:
        run.replay_of = run_id_for(event.id, rule)
    return run


async def replay_event(
    redis: Redis, rules: RulesSource, store: RunStore, event: Event
) -> list[str]:
    """Run an event through the current rules again: new runs `<event>:<rule>:replay-<n>`."""
    matched = rules.current.match(event)
    if not matched:
        return []
    number = int(await redis.incr(keys.REPLAYS + event.id))
    await redis.expire(keys.REPLAYS + event.id, store.ttl)
    runs = [_new_run(event, rule.name, number) for rule in matched]
    await store.create_many(runs)
    return [run.id for run in runs]
