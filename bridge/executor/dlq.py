"""The dead-letter queue: runs that failed for good, kept whole until a person acts.

A letter's id is its run id; `constants.DLQ_ITEM + id` holds the JSON letter (`run_id`,
`event_id`, `event_type`, `rule`, `step`, `status` dead|failed, `error`, `time` and the
whole run record under `run`) and `constants.DLQ_INDEX` orders letters by time.

Replaying a letter re-opens its run: the failed step gets a fresh set of attempts and a
new job is queued now; steps that had succeeded are not repeated (their checkpoints
stay), and a webhook keeps its `webhook-id`, so a receiver that did get it can tell.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.asyncio import Redis

from bridge import constants
from bridge.executor.history import RunStore
from bridge.executor.records import RunStatus

logger = logging.getLogger("bridge.executor.dlq")


async def list_letters(redis: Redis, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Dead letters, newest first (without the embedded run record)."""
    ids = await redis.zrevrange(constants.DLQ_INDEX, offset, offset + limit - 1)
    if not ids:
        return []
    raws = await redis.mget([constants.DLQ_ITEM + i.decode() for i in ids])
    letters = []
    for raw in raws:
        if raw:
            letter = json.loads(raw)
            letter.pop("run", None)
            letters.append(letter)
    return letters


async def count(redis: Redis) -> int:
    """How many letters wait."""
    return int(await redis.zcard(constants.DLQ_INDEX))


async def get_letter(redis: Redis, letter_id: str) -> dict[str, Any] | None:
    """One letter with its run record, or None."""
    raw = await redis.get(constants.DLQ_ITEM + letter_id)
    return json.loads(raw) if raw else None


async def replay(store: RunStore, letter_id: str) -> bool:
    """Send one letter's run back to the queue; False when there is no such letter."""
    if not await store.redis.exists(constants.DLQ_ITEM + letter_id):
        return False
    run = await store.load(letter_id)
    if run is None:
        logger.warning("dead letter %s: its run record expired; discarding it", letter_id)
        await discard(store.redis, letter_id)
        return False
    old = run.status
    if run.next_step < len(run.steps):
        state = run.steps[run.next_step]
        state.attempts, state.status, state.error = 0, RunStatus.queued.value, None
    run.status, run.error, run.finished = RunStatus.retrying.value, None, None
    run.next_attempt_at, run.inflight = time.time(), None
    run.dispatch += 1
    await store.save(
        run, old, counters={"dlq_replayed": 1}, enqueue_after=0.0, drop_letter=letter_id
    )
    return True


async def replay_all(store: RunStore) -> int:
    """Replay every letter; how many were sent back."""
    replayed = 0
    while True:
        ids = await store.redis.zrange(constants.DLQ_INDEX, 0, 499)
        if not ids:
            return replayed
        for raw_id in ids:
            if await replay(store, raw_id.decode()):
                replayed += 1
            else:
                await store.redis.zrem(constants.DLQ_INDEX, raw_id)


async def discard(redis: Redis, letter_id: str) -> bool:
    """Drop a letter for good (its run stays in the history); False when unknown."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(constants.DLQ_ITEM + letter_id)
        pipe.zrem(constants.DLQ_INDEX, letter_id)
        deleted, _ = await pipe.execute()
    return bool(deleted)
