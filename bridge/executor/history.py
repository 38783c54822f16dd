"""Run history in Redis: what ran, every attempt, and the query API the admin side uses.

Stored (all expire after `retention_days`):

- `bridge:run:<run id>`: the run record (`records.Run` as JSON): event, rule, status,
  checkpoint, step outputs, per-step state.
- `bridge:run:<run id>:attempts`: a list, one JSON document per attempt of any step:
  `{run_id, step, key, action, attempt, started, duration_ms, request, status, response,
  error, outcome}`; `request` is a summary (method + url, or Perfex action + path, and the
  rendered fields), `response` a body excerpt of at most 2 KiB. Secrets are redacted
  before storing (`bridge.redaction`).
- sorted sets of run ids, score = Unix seconds: `bridge:runs:all`, `bridge:runs:status:<s>`
  (score = last change), `bridge:runs:rule:<rule>`, `bridge:runs:type:<event type>`,
  `bridge:runs:event:<event id>`.
- counters in `constants.STATS` (HINCRBY): runs_created, runs_started, runs_succeeded,
  steps_succeeded, steps_failed, steps_skipped, retries, deferrals, dead_letters,
  attempts_interrupted, events_routed.

Query API (async, each takes the bridge's `redis.asyncio.Redis`):

- `list_runs(redis, status=, rule=, event_type=, event_id=, limit=50, cursor=0)` ->
  `RunPage(runs, next_cursor, total)`: newest first. One index answers (the most selective
  filter: event, then status, rule, type, else all); the other filters are applied to the
  records read. `cursor` is the offset into that index; pass `next_cursor` back for the
  next page (None at the end). `runs` are summaries (the record without outputs).
- `get_run(redis, run_id)` -> the full record plus `attempts` (a list), or None.
- `runs_for_event(redis, event_id)` -> every run of that event (records, oldest first).
- `status_counts(redis)` -> {status: number of runs}; `stats(redis)` -> the counters.
- `prune(redis, retention_seconds)` drops index entries older than the retention.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from bridge import constants
from bridge.constants import QUEUE_NAME
from bridge.exceptions import StoreUnavailable
from bridge.executor import keys, queueing
from bridge.executor.records import Run, RunStatus, job_id_for

logger = logging.getLogger("bridge.executor.history")

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
for i = 2, 6 do redis.call('ZADD', KEYS[i], ARGV[3], ARGV[4]) end
redis.call('SET', KEYS[7], ARGV[6], 'PX', ARGV[7])
redis.call('ZADD', KEYS[8], ARGV[8], ARGV[5])
redis.call('HINCRBY', KEYS[9], 'runs_created', 1)
return 1
"""


def run_key(run_id: str) -> str:
    return keys.RUN + run_id


def attempts_key(run_id: str) -> str:
    return keys.RUN + run_id + keys.RUN_ATTEMPTS_SUFFIX


class RunStore:
    """Writes run records, attempts and indexes; the router and the runner use it."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self.redis = redis
        self.ttl = int(retention_seconds)
        self._create = redis.register_script(_CREATE)

    async def create_many(
        self, runs: list[Run], *, claimed: int = 0, lease_ms: int = 0
    ) -> list[bool]:
        """Create each run with its first job unless it exists; True where created.

        The jobs of the first `claimed` runs come due only `lease_ms` from now: the
        routing worker runs those itself and keeps pushing that time forward while it does
        (executor/direct.py); if it dies, arq starts them when the lease lapses.
        """
        if not runs:
            return []
        for _ in range(2):
            try:
                results = await self._create_all(runs, claimed, lease_ms)
                break
            except NoScriptError:  # a restarted server forgot the script: load, send again
                await self.redis.script_load(_CREATE)
        else:
            raise StoreUnavailable("the server keeps forgetting the run creation script")
        return [bool(r) for r in results]

    async def _create_all(self, runs: list[Run], claimed: int, lease_ms: int) -> list[Any]:
        """One round trip of creation scripts (by EVALSHA: no SCRIPT EXISTS first, as
        redis-py's Script in a pipeline would send; the script is safe to run twice)."""
        now_ms = int(time.time() * 1000)
        async with self.redis.pipeline(transaction=False) as pipe:
            for position, run in enumerate(runs):
                job_id = job_id_for(run.id, run.dispatch)
                pipe.execute_command(
                    "EVALSHA",
                    self._create.sha,
                    9,
                    run_key(run.id),
                    keys.RUNS_ALL,
                    keys.RUNS_BY_STATUS + run.status,
                    keys.RUNS_BY_RULE + run.rule,
                    keys.RUNS_BY_TYPE + run.event_type,
                    keys.RUNS_BY_EVENT + run.event_id,
                    keys.ARQ_JOB + job_id,
                    QUEUE_NAME,
                    constants.STATS,
                    run.to_json(),
                    self.ttl,
                    run.created,
                    run.id,
                    job_id,
                    queueing.job_payload(run.id, run.dispatch, now_ms),
                    queueing.EXPIRES_EXTRA_MS,
                    now_ms + (lease_ms if position < claimed else 0),
                )
            results: list[Any] = await pipe.execute()
        return results

    async def load(self, run_id: str) -> Run | None:
        raw = await self.redis.get(run_key(run_id))
        return Run.from_json(raw) if raw else None

    async def save(
        self,
        run: Run,
        old_status: str,
        *,
        attempts: list[dict[str, Any]] | None = None,
        counters: dict[str, int] | None = None,
        enqueue_after: float | None = None,
        dead_letter: dict[str, Any] | None = None,
        drop_letter: str | None = None,
        drop_job: str | None = None,
    ) -> None:
        """Write the record and what goes with it in one transaction (see module docs)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            self.stage(
                pipe,
                run,
                old_status,
                attempts=attempts,
                counters=counters,
                enqueue_after=enqueue_after,
                dead_letter=dead_letter,
                drop_letter=drop_letter,
                drop_job=drop_job,
            )
            await pipe.execute()

    def stage(
        self,
        pipe: Pipeline,
        run: Run,
        old_status: str,
        *,
        attempts: list[dict[str, Any]] | None = None,
        counters: dict[str, int] | None = None,
        enqueue_after: float | None = None,
        dead_letter: dict[str, Any] | None = None,
        drop_letter: str | None = None,
        drop_job: str | None = None,
    ) -> None:
        """Queue `save`'s writes on a pipeline already in MULTI (for watched updates).

        `drop_job` deletes an arq job this process ran itself (executor/direct.py), in the
        same transaction as the save that ends its work.
        """
        run.updated = time.time()
        pipe.set(run_key(run.id), run.to_json(), ex=self.ttl)
        if attempts:
            pipe.rpush(attempts_key(run.id), *(json.dumps(a, default=str) for a in attempts))
            pipe.expire(attempts_key(run.id), self.ttl)
        if old_status != run.status:
            pipe.zrem(keys.RUNS_BY_STATUS + old_status, run.id)
            pipe.zadd(keys.RUNS_BY_STATUS + run.status, {run.id: run.updated})
        for name, amount in (counters or {}).items():
            pipe.hincrby(constants.STATS, name, amount)
        new_job = None
        if enqueue_after is not None:
            new_job = queueing.add_job(pipe, run.id, run.dispatch, enqueue_after)
        if dead_letter is not None:
            letter_id = dead_letter["id"]
            pipe.set(constants.DLQ_ITEM + letter_id, json.dumps(dead_letter, default=str))
            pipe.zadd(constants.DLQ_INDEX, {letter_id: run.updated})
        if drop_letter is not None:
            pipe.delete(constants.DLQ_ITEM + drop_letter)
            pipe.zrem(constants.DLQ_INDEX, drop_letter)
        if drop_job is not None and drop_job != new_job:  # never the job just queued
            pipe.zrem(QUEUE_NAME, drop_job)
            pipe.delete(keys.ARQ_JOB + drop_job)


# -- query API ------------------------------------------------------------------------


@dataclass(slots=True)
class RunPage:
    """One page of `list_runs`: summaries, the cursor of the next page, the index size."""

    runs: list[dict[str, Any]]
    next_cursor: int | None
    total: int


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k not in ("outputs", "inflight")}


async def list_runs(
    redis: Redis,
    *,
    status: str | None = None,
    rule: str | None = None,
    event_type: str | None = None,
    event_id: str | None = None,
    limit: int = 50,
    cursor: int = 0,
) -> RunPage:
    """Runs newest first, filtered; see the module docstring for paging."""
    if status is not None and status not in RunStatus.__members__:
        raise ValueError(f"unknown run status {status!r}")
    if event_id is not None:
        index = keys.RUNS_BY_EVENT + event_id
    elif status is not None:
        index = keys.RUNS_BY_STATUS + status
    elif rule is not None:
        index = keys.RUNS_BY_RULE + rule
    elif event_type is not None:
        index = keys.RUNS_BY_TYPE + event_type
    else:
        index = keys.RUNS_ALL
    total = int(await redis.zcard(index))
    found: list[dict[str, Any]] = []
    offset = max(cursor, 0)
    chunk = max(limit, 50)
    while len(found) < limit and offset < total:
        ids = await redis.zrevrange(index, offset, offset + chunk - 1)
        if not ids:
            break
        raws = await redis.mget([run_key(i.decode()) for i in ids])
        taken = 0
        for raw in raws:
            taken += 1
            if not raw:
                continue
            run = json.loads(raw)
            if status is not None and run["status"] != status:
                continue
            if rule is not None and run["rule"] != rule:
                continue
            if event_type is not None and run["event_type"] != event_type:
                continue
            found.append(_summary(run))
            if len(found) == limit:
                break
        offset += taken
    return RunPage(found, offset if offset < total else None, total)


async def get_run(redis: Redis, run_id: str) -> dict[str, Any] | None:
    """The run record with every attempt (`attempts`, oldest first), or None."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(run_key(run_id))
        pipe.lrange(attempts_key(run_id), 0, -1)
        raw, attempts = await pipe.execute()
    if not raw:
        return None
    run: dict[str, Any] = json.loads(raw)
    run["attempts"] = [json.loads(a) for a in attempts]
    return run


async def runs_for_event(redis: Redis, event_id: str) -> list[dict[str, Any]]:
    """Every run of an event, oldest first (full records, without attempts)."""
    ids = await redis.zrange(keys.RUNS_BY_EVENT + event_id, 0, -1)
    raws = await redis.mget([run_key(i.decode()) for i in ids]) if ids else []
    return [json.loads(raw) for raw in raws if raw]


async def status_counts(redis: Redis) -> dict[str, int]:
    """How many runs are in each status index."""
    async with redis.pipeline(transaction=False) as pipe:
        for status in RunStatus:
            pipe.zcard(keys.RUNS_BY_STATUS + status.value)
        counts = await pipe.execute()
    return {status.value: int(n) for status, n in zip(RunStatus, counts, strict=True)}


async def stats(redis: Redis) -> dict[str, int]:
    """The shared counters (constants.STATS)."""
    raw: dict[bytes, bytes] = await redis.hgetall(constants.STATS)  # type: ignore[misc]
    return {k.decode(): int(v) for k, v in raw.items()}


async def prune(redis: Redis, retention_seconds: float) -> int:
    """Drop index entries older than the retention (their records have expired)."""
    cutoff = time.time() - retention_seconds
    removed = 0
    patterns = [keys.RUNS_BY_STATUS, keys.RUNS_BY_RULE, keys.RUNS_BY_TYPE, keys.RUNS_BY_EVENT]
    indexes = [keys.RUNS_ALL]
    for prefix in patterns:
        indexes += [k.decode() async for k in redis.scan_iter(match=prefix + "*", count=500)]
    for index in indexes:
        removed += int(await redis.zremrangebyscore(index, "-inf", cutoff))
    return removed
