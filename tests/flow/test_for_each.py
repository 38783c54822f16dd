"""`for_each`: child runs per item with `item`/`index`, deterministic ids, the cap."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from bridge.executor import fanout
from bridge.executor.history import RunStore, get_run
from bridge.executor.records import Run, run_id_for
from bridge.settings import Settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import Receiver, rules_from, run_status, store_event, wait_for


def _rules(url: str, cap: str = "") -> str:
    return f"""
rules:
  - name: each
    on: perfex.invoices.created
    do:
      - id: first
        webhook: {{url: "{url}/first"}}
      - for_each: "{{{{ event.data.lines }}}}"{cap}
        do:
          - webhook:
              url: "{url}/item"
              body:
                n: "{{{{ item.n }}}}"
                index: "{{{{ index }}}}"
                first: "{{{{ steps.first.status }}}}"
            if: item.n != 'skip'
      - webhook: {{url: "{url}/after"}}
"""


async def _all_finished(redis: Redis, ids: list[str]) -> bool:
    statuses = [await run_status(redis, i) for i in ids]
    return all(status in ("succeeded", "skipped") for status in statuses)


async def test_each_item_runs_as_a_child_with_item_and_index(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """Three items make three child runs; each sees item, index and the parent's steps."""
    app, url = receiver
    parent = run_id_for("inv-1", "each")
    lines = [{"n": "a"}, {"n": "skip"}, {"n": "c"}]
    async with worker(settings, rules_from(_rules(url))):
        await store_event(redis, "inv-1", "perfex.invoices.created", lines=lines)
        await wait_for(lambda: _is(redis, parent, "succeeded"))
        children = [fanout.child_id(parent, 1, i) for i in range(3)]
        await wait_for(lambda: _all_finished(redis, children))
    bodies = sorted((json.loads(r.body) for r in app.on("/item")), key=lambda b: b["index"])
    assert bodies == [
        {"n": "a", "index": 0, "first": 200},
        {"n": "c", "index": 2, "first": 200},
    ]
    assert len(app.on("/after")) == 1
    run = await get_run(redis, parent)
    assert run is not None
    assert run["outputs"]["1"] == {"status": "fanned_out", "count": 3, "children": children}
    listed = await fanout.children(redis, parent)
    assert [(c["index"], c["status"]) for c in listed] == [
        (0, "succeeded"),
        (1, "skipped"),
        (2, "succeeded"),
    ]
    child = await get_run(redis, children[0])
    assert child is not None
    assert child["parent"] == parent and child["item"] == {"n": "a"}


async def _is(redis: Redis, run_id: str, status: str) -> bool:
    return await run_status(redis, run_id) == status


async def test_over_max_items_or_not_a_list_fails_the_step(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """Four items over `max_items: 3`, or a mapping, fail the run; no child is made."""
    app, url = receiver
    over, odd = run_id_for("inv-2", "each"), run_id_for("inv-3", "each")
    async with worker(settings, rules_from(_rules(url, "\n        max_items: 3"))):
        await store_event(
            redis, "inv-2", "perfex.invoices.created", lines=[{"n": i} for i in range(4)]
        )
        await store_event(redis, "inv-3", "perfex.invoices.created", lines={"n": 1})
        await wait_for(lambda: _is(redis, over, "failed"))
        await wait_for(lambda: _is(redis, odd, "failed"))
    over_run, odd_run = await get_run(redis, over), await get_run(redis, odd)
    assert over_run is not None and odd_run is not None
    assert over_run["error"] == "for_each: 4 items is over max_items (3)"
    assert odd_run["error"] == "for_each: the value is a dict, not a list"
    assert await fanout.child_ids(redis, over) == []
    assert app.on("/item") == [] and app.on("/after") == []


async def test_fan_out_again_creates_only_the_missing_children(redis: Redis) -> None:
    """A parent job that runs the step twice (a crash between) never doubles an item."""
    store = RunStore(redis, 3600)
    rules = rules_from(_rules("http://127.0.0.1:9"))
    step = rules.current.rules[0].steps[1]
    parent = Run(run_id_for("inv-4", "each"), "inv-4", "perfex.invoices.created", "each")
    items = [{"n": i} for i in range(250)]
    await store.create_many(
        [Run(fanout.child_id(parent.id, 1, i), "inv-4", "t", "each") for i in range(7)]
    )
    first = await fanout.fan_out(store, parent, step, items)
    second = await fanout.fan_out(store, parent, step, items)
    assert first == second
    assert first["count"] == 250
    assert len(set(first["children"])) == 250
    assert await redis.hget("bridge:stats", "runs_created") == b"250"  # type: ignore[misc]
    assert await redis.zcard("bridge:queue") == 250


async def test_a_child_can_wait_on_its_own(
    redis: Redis,
    settings: Settings,
    worker: WorkerFactory,
    receiver: tuple[Receiver, str],
) -> None:
    """A delay inside the loop parks each child alone; the parent has already finished."""
    app, url = receiver
    rules = f"""
rules:
  - name: nag
    on: perfex.invoices.created
    do:
      - for_each: "{{{{ event.data.lines }}}}"
        do:
          - delay: 1s
          - webhook: {{url: "{url}/nag", body: {{n: "{{{{ item }}}}"}}}}
"""
    parent = run_id_for("inv-5", "nag")
    children = [fanout.child_id(parent, 0, i) for i in range(2)]
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "inv-5", "perfex.invoices.created", lines=["a", "b"])
        await wait_for(lambda: _is(redis, children[1], "waiting"))
        assert await run_status(redis, parent) == "succeeded"
        await wait_for(lambda: _all_finished(redis, children))
    assert sorted(json.loads(r.body)["n"] for r in app.on("/nag")) == ["a", "b"]
