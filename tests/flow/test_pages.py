"""Waiting runs, cancel, for_each children and next schedule runs in the API and dashboard."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from redis.asyncio import Redis

from bridge.events import Event, EventStore
from bridge.exceptions import RunNotCancellable
from bridge.executor import fanout
from bridge.executor.history import RunStore
from bridge.executor.records import Run, RunStatus, StepState
from bridge.rules.loader import Source, load_sources
from tests.admin.conftest import TOKEN, ServeApp

AUTH = {"Authorization": "Bearer " + TOKEN}
RULES = """
rules:
  - name: nightly
    on: schedule
    schedule: {cron: "30 2 * * *", timezone: Europe/Athens}
    do:
      - for_each: "{{ event.data.lines }}"
        do:
          - webhook: {url: "https://x.example/{{ item }}"}
      - delay: 2d
"""


async def _waiting_run(redis: Redis, run_id: str = "ev-1:nightly") -> tuple[Run, float]:
    await EventStore(redis).store(Event("ev-1", "schedule.nightly", "bridge", {"lines": [1]}))
    store = RunStore(redis, 3600)
    run = Run(run_id, "ev-1", "schedule.nightly", "nightly")
    await store.create_many([run])
    wake = time.time() + 3600
    run.steps = [StepState(0, "0", "for_each", "succeeded"), StepState(1, "1", "delay", "waiting")]
    run.status, run.next_step, run.wake_at, run.next_attempt_at = "waiting", 1, wake, wake
    await store.save(run, "queued", enqueue_after=3600)
    return run, wake


def _rules(tmp_path: Path) -> Path:
    path = tmp_path / "flow-rules"
    path.mkdir()
    (path / "r.yml").write_text(RULES)
    return path


async def test_api_cancels_a_waiting_run_once(
    redis: Redis, serve_app: ServeApp, tmp_path: Path
) -> None:
    """POST /api/runs/{id}/cancel: 200 for a waiting run, then 409; 404 unknown; 401 no token."""
    run, _ = await _waiting_run(redis)
    path = f"/api/runs/{quote(run.id, safe='')}/cancel"
    with serve_app(rules=_rules(tmp_path)) as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            anonymous = await client.post(path, headers={"Authorization": "Bearer wrong"})
            first = await client.post(path)
            again = await client.post(path)
            unknown = await client.post("/api/runs/nope/cancel")
            detail = await client.get(f"/api/runs/{quote(run.id, safe='')}")
    assert anonymous.status_code == 401
    assert first.status_code == 200
    assert first.json() == {
        "run_id": run.id,
        "cancelled": True,
        "status": "cancelled",
        "children_cancelled": 0,
    }
    assert again.status_code == 409
    assert "cancelled" in again.json()["error"]
    assert unknown.status_code == 404
    assert detail.json()["status"] == "cancelled"
    assert detail.json()["error"] == "cancelled by the admin API"
    assert await redis.zcard("bridge:runs:status:waiting") == 0


async def test_cancel_reaches_unfinished_children(redis: Redis) -> None:
    """Cancelling a parent cancels its queued children and leaves finished ones alone,
    also when the parent itself has finished; with nothing left to cancel it is refused."""
    from bridge.executor import cancel

    store = RunStore(redis, 3600)
    rules = load_sources([Source("r.yml", RULES)], environ={})
    parent = Run("ev-2:nightly", "ev-2", "schedule.nightly", "nightly")
    await store.create_many([parent])
    await fanout.fan_out(store, parent, rules.rules[0].steps[0], ["a", "b"])
    done = await store.load(fanout.child_id(parent.id, 0, 1))
    assert done is not None
    done.status = RunStatus.succeeded.value
    await store.save(done, "queued")
    parent.status = RunStatus.succeeded.value  # the parent does not wait for its children
    await store.save(parent, "queued")
    outcome = await cancel.cancel(store, parent.id)
    assert outcome is not None
    assert (outcome.cancelled, outcome.children, outcome.run.status) == (False, 1, "succeeded")
    statuses = [c["status"] for c in await fanout.children(redis, parent.id)]
    assert statuses == ["cancelled", "succeeded"]
    with pytest.raises(RunNotCancellable):
        await cancel.cancel(store, parent.id)


def test_api_rules_gives_next_run_of_schedule_rules(serve_app: ServeApp, tmp_path: Path) -> None:
    """GET /api/rules has `schedule` and `next_run` (ISO UTC, ahead) per schedule rule."""
    with serve_app(rules=_rules(tmp_path)) as url:
        answer = httpx.get(url + "/api/rules", headers=AUTH)
    (rule,) = answer.json()["rules"]
    assert rule["schedule"] == "cron 30 2 * * * (Europe/Athens)"
    assert rule["next_run"].endswith(":30:00Z")
    next_run = time.mktime(time.strptime(rule["next_run"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert time.time() < next_run <= time.time() + 86400


async def test_dashboard_shows_waiting_and_children_and_cancels_with_csrf(
    redis: Redis, serve_app: ServeApp, tmp_path: Path
) -> None:
    """Runs list says `waiting until`, the run page lists children and its Cancel button
    needs the CSRF token; the rules page shows the next run."""
    run, wake = await _waiting_run(redis)
    rules = load_sources([Source("r.yml", RULES)], environ={})
    await fanout.fan_out(RunStore(redis, 3600), run, rules.rules[0].steps[0], ["x", "y"])
    page_path = f"/runs/{quote(run.id, safe='')}"
    with serve_app(rules=_rules(tmp_path)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.post("/login", data={"token": TOKEN})).status_code == 303
            runs = (await client.get("/runs?status=waiting")).text
            page = (await client.get(page_path)).text
            rules_page = (await client.get("/rules")).text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            refused = await client.post(page_path + "/cancel", data={"csrf_token": "guess"})
            done = await client.post(page_path + "/cancel", data={"csrf_token": token})
            after = (await client.get(done.headers["location"])).text
            twice = await client.post(page_path + "/cancel", data={"csrf_token": token})
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(wake))
    assert f"waiting until {stamp}" in runs
    assert f"Waiting until {stamp}" in page
    assert "for_each items (2)" in page and "&#34;y&#34;" in page
    assert "Cancel run" in page
    assert "next run" in rules_page and "cron 30 2 * * * (Europe/Athens)" in rules_page
    assert refused.status_code == 403
    assert done.status_code == 303
    assert "Cancelled: nothing more of the run" in after and "Cancel run" not in after
    assert twice.status_code == 409


async def test_cancel_with_hostile_ids_is_a_plain_404(
    redis: Redis, serve_app: ServeApp, tmp_path: Path
) -> None:
    """Odd, encoded and oversized run ids get a JSON 404, never a 500 or a match."""
    await _waiting_run(redis)
    odd = ["%00", "ev-1%3Anightly%00", "..%2F..%2Fev-1:nightly", "x" * 8000, "%F0%9F%92%A5*"]
    with serve_app(rules=_rules(tmp_path)) as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            answers = [await client.post(f"/api/runs/{path}/cancel") for path in odd]
    assert [a.status_code for a in answers] == [404] * len(odd)
    assert all("error" in a.json() for a in answers)
    assert await redis.zcard("bridge:runs:status:waiting") == 1


async def test_a_run_resuming_this_second_cannot_be_cancelled(redis: Redis) -> None:
    """A waiting run whose time has come is refused (its job may hold it already)."""
    from bridge.executor import cancel

    run, _ = await _waiting_run(redis)
    store = RunStore(redis, 3600)
    run.next_attempt_at = run.wake_at = time.time() + 0.2
    await store.save(run, "waiting")
    try:
        await cancel.cancel_run(store, run.id)
    except RunNotCancellable as exc:
        assert "resuming right now" in str(exc)
    else:
        raise AssertionError("cancelled a run that was resuming")
    assert (await store.load(run.id)).status == "waiting"  # type: ignore[union-attr]
