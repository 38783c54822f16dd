"""`for_each` steps: one child run per item, with its own checkpoints, retries, dead letters.

A child run's id is `<parent run id>:each<step>:<index>`: deterministic, and created with
RunStore.create_many ("create with its first job unless it exists"), so a parent job that
crashes halfway through creating 100 children and runs again creates only the missing
ones: the same item never runs twice for the same parent step. A child is an ordinary
run (event, rule) whose steps are the for_each's nested `do:`; it carries `item` and
`index` for its templates, and sees the parent's step outputs as `steps`.

The parent does not wait for its children: the for_each step succeeds once every child
is stored (its output: `{"count": n, "children": [ids]}`), and the parent's next steps run
while the children run in parallel on any worker. A step that must follow the whole loop
belongs in the children (or a later rule). The parent's page lists its children.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis

from bridge.executor import keys
from bridge.executor.history import RunStore, run_key
from bridge.executor.records import Run
from bridge.rules.flow import ForEach
from bridge.rules.model import Rule, Step

logger = logging.getLogger("bridge.executor.fanout")

#: Children created per Redis round trip.
CHUNK = 200
#: Sorted set of a run's children by index: bridge:run:<run id>:children.
CHILDREN_SUFFIX = ":children"


class FanOutProblem(ValueError):
    """The for_each's list is not a list, or longer than its `max_items`."""


def child_id(parent_id: str, step_index: int, index: int) -> str:
    return f"{parent_id}:each{step_index}:{index}"


def children_key(run_id: str) -> str:
    return keys.RUN + run_id + CHILDREN_SUFFIX


def steps_of(rule: Rule, run: Run) -> tuple[Step, ...] | None:
    """The steps a run executes: the rule's, or its for_each's nested ones (None if gone)."""
    if run.parent_step is None:
        return rule.steps
    if run.parent_step >= len(rule.steps):
        return None
    flow = rule.steps[run.parent_step].flow
    return flow.steps if isinstance(flow, ForEach) else None


def child_context(run: Run, context: dict[str, Any], parent_outputs: dict[str, Any]) -> None:
    """Add `item`, `index` and the parent's outputs to a child run's template context."""
    if run.parent is None:
        return
    context["steps"] = {**parent_outputs, **context["steps"]}
    context["item"], context["index"] = run.item, run.index


async def parent_outputs(store: RunStore, run: Run) -> dict[str, Any]:
    """The outputs of a child's parent run ({} for a top-level run or a gone parent)."""
    if run.parent is None:
        return {}
    parent = await store.load(run.parent)
    return dict(parent.outputs) if parent is not None else {}


def items_of(flow: ForEach, rendered: Any) -> list[Any]:
    """The rendered for_each value as a list, within `max_items`; FanOutProblem if not."""
    if isinstance(rendered, dict) and isinstance(rendered.get("data"), list):
        rendered = rendered["data"]  # a Perfex list answer in its {data, meta} envelope
    if not isinstance(rendered, list | tuple):
        kind = type(rendered).__name__
        raise FanOutProblem(f"for_each: the value is a {kind}, not a list")
    if len(rendered) > flow.max_items:
        raise FanOutProblem(f"for_each: {len(rendered)} items is over max_items ({flow.max_items})")
    return list(rendered)


async def fan_out(store: RunStore, run: Run, step: Step, items: list[Any]) -> dict[str, Any]:
    """Create the children of `run` at `step` (those missing); the step's output."""
    ids: list[str] = []
    created = 0
    for start in range(0, len(items), CHUNK):
        batch = []
        for offset, item in enumerate(items[start : start + CHUNK]):
            index = start + offset
            child = Run(
                child_id(run.id, step.index, index),
                run.event_id,
                run.event_type,
                run.rule,
                parent=run.id,
                parent_step=step.index,
                item=item,
                index=index,
            )
            batch.append(child)
            ids.append(child.id)
        async with store.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(children_key(run.id), {c.id: c.index or 0 for c in batch})
            pipe.expire(children_key(run.id), store.ttl)
            await pipe.execute()
        created += sum(await store.create_many(batch))
    if created < len(items):
        existed = len(items) - created
        logger.info("run %s: %d of %d children existed already", run.id, existed, len(items))
    return {"status": "fanned_out", "count": len(items), "children": ids}


async def child_ids(redis: Redis, run_id: str) -> list[str]:
    """A run's for_each children, by index."""
    return [raw.decode() for raw in await redis.zrange(children_key(run_id), 0, -1)]


async def children(redis: Redis, run_id: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Summaries of a run's children, by index: id, index, status, error, item excerpt."""
    ids = await redis.zrange(children_key(run_id), 0, limit - 1)
    if not ids:
        return []
    raws = await redis.mget([run_key(i.decode()) for i in ids])
    out = []
    for raw in raws:
        if not raw:
            continue
        record = json.loads(raw)
        out.append(
            {
                "id": record["id"],
                "index": record.get("index"),
                "status": record["status"],
                "error": record.get("error"),
                "item": _excerpt(record.get("item")),
                "next_attempt_at": record.get("next_attempt_at"),
            }
        )
    return out


def _excerpt(item: Any, limit: int = 120) -> str:
    text = json.dumps(item, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"
