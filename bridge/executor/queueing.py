"""arq jobs written in the same Redis transaction as the run record that owns them.

arq's `enqueue_job` is its own WATCH/MULTI; a checkpoint followed by a separate enqueue
could lose the retry if the worker died in between. So the executor writes arq's two keys
itself (`arq:job:<id>` with the JSON-serialised job, and the queue's sorted set) inside
its own transaction: the same layout `ArqRedis.enqueue_job` writes, with the JSON
serializer the workers use (`serialize` / `deserialize`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from arq.jobs import serialize_job
from redis.asyncio.client import Pipeline

from bridge.constants import QUEUE_NAME
from bridge.executor import keys
from bridge.executor.records import job_id_for

logger = logging.getLogger("bridge.executor.queueing")

#: The arq function that runs a rule's steps.
FUNCTION = "run_rule"
#: How long a job key outlives its start time (arq's default: one day).
EXPIRES_EXTRA_MS = 86_400_000


def serialize(data: dict[str, Any]) -> bytes:
    """arq's job serializer: JSON, not pickle."""
    return json.dumps(data, separators=(",", ":")).encode()


def deserialize(raw: bytes) -> dict[str, Any]:
    """arq's job deserializer."""
    data: dict[str, Any] = json.loads(raw)
    return data


def job_payload(run_id: str, dispatch: int, now_ms: int) -> bytes:
    """The serialized job for one dispatch of a run."""
    return serialize_job(FUNCTION, (run_id, dispatch), {}, None, now_ms, serializer=serialize)


def add_job(pipe: Pipeline, run_id: str, dispatch: int, defer: float = 0.0) -> str:
    """Queue `run_rule(run_id, dispatch)` in `pipe`, to start `defer` seconds from now."""
    now_ms = int(time.time() * 1000)
    score = now_ms + int(defer * 1000)
    job_id = job_id_for(run_id, dispatch)
    pipe.psetex(
        keys.ARQ_JOB + job_id,
        score - now_ms + EXPIRES_EXTRA_MS,
        job_payload(run_id, dispatch, now_ms),
    )
    pipe.zadd(QUEUE_NAME, {job_id: score})
    return job_id
