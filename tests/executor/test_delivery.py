"""End to end: stored event -> router -> arq worker -> webhook receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import json

from redis.asyncio import Redis
from standardwebhooks import Webhook

from bridge.executor import dlq, history, webhook
from bridge.executor.history import RunStore
from bridge.executor.jobs import Tuning
from bridge.settings import Settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import Receiver, rules_from, run_status, store_event, wait_for

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
FAST = "{attempts: 4, backoff: 0.05, max_delay: 0.1}"


def _rule(url: str, retry: str = FAST, extra: str = "") -> str:
    return f"""
rules:
  - name: notify
    on: perfex.leads.created
    do:
      - id: hook
        webhook:
          url: {url}
          secret: {SECRET}
          {extra}
        retry: {retry}
"""


async def test_fails_three_times_then_delivered_with_one_webhook_id(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """Three 500s then 200: delivered on the 4th attempt, same verified webhook-id each time."""
    app, url = receiver
    app.script["/in"] = [(500, {})] * 3
    async with worker(settings, rules_from(_rule(url + "/in"))):
        await store_event(redis, "e1", n=1)
        await wait_for(lambda: _status_is(redis, "e1:notify", "succeeded"))
    got = app.on("/in")
    assert len(got) == 4
    assert len({r.headers["webhook-id"] for r in got}) == 1
    for request in got:
        Webhook(SECRET).verify(request.body, request.headers)
        assert json.loads(request.body)["data"] == {"n": 1}
    run = await history.get_run(redis, "e1:notify")
    assert run is not None
    assert [a["outcome"] for a in run["attempts"]] == ["retrying"] * 3 + ["succeeded"]
    assert [a["status"] for a in run["attempts"]] == [500, 500, 500, 200]
    assert run["steps"][0]["attempts"] == 4


async def test_never_recovers_goes_to_dlq_and_replay_delivers_once(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A receiver that keeps failing: dead letter after the attempts; replay delivers once."""
    app, url = receiver
    app.default = 503
    async with worker(settings, rules_from(_rule(url + "/in", "{attempts: 3, backoff: 0.05}"))):
        await store_event(redis, "e2")
        await wait_for(lambda: _status_is(redis, "e2:notify", "dead"))
        assert len(app.on("/in")) == 3
        letters = await dlq.list_letters(redis)
        assert [(x["id"], x["status"], x["step"]) for x in letters] == [("e2:notify", "dead", 0)]
        app.default = 200
        assert await dlq.replay(RunStore(redis, 3600), "e2:notify")
        await wait_for(lambda: _status_is(redis, "e2:notify", "succeeded"))
    assert [r for r in app.on("/in")][3:] and len(app.on("/in")) == 4
    assert await dlq.list_letters(redis) == []
    assert not await dlq.replay(RunStore(redis, 3600), "e2:notify")


async def test_second_step_retries_do_not_repeat_the_first(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """Step 2 fails twice: step 1 ran exactly once and step 2 saw its checkpointed output."""
    app, url = receiver
    app.script["/second"] = [(502, {}), (500, {})]
    rules = f"""
rules:
  - name: two
    on: perfex.leads.created
    do:
      - id: first
        webhook: {{url: "{url}/first"}}
      - id: second
        webhook:
          url: "{url}/second"
          body:
            first_status: "{{{{ steps.first.status }}}}"
            ok: "{{{{ steps.first.body.ok }}}}"
        retry: {FAST}
"""
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "e3")
        await wait_for(lambda: _status_is(redis, "e3:two", "succeeded"))
    assert len(app.on("/first")) == 1
    second = app.on("/second")
    assert len(second) == 3
    assert json.loads(second[-1].body) == {"first_status": 200, "ok": True}


async def test_permanent_failures_are_not_retried(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """404, 410 and a 302 (redirects are not followed) fail at once and reach the DLQ."""
    app, url = receiver
    app.script["/gone"] = [(410, {})]
    app.script["/missing"] = [(404, {})]
    app.script["/moved"] = [(302, {"location": url + "/elsewhere"})]
    rules = "rules:\n" + "".join(
        f"""
  - name: r{name}
    on: perfex.leads.created
    do:
      - webhook: {{url: "{url}/{name}"}}
        retry: {FAST}
"""
        for name in ("gone", "missing", "moved")
    )
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "e4")
        for name in ("gone", "missing", "moved"):
            await wait_for(lambda n=name: _status_is(redis, f"e4:r{n}", "failed"))  # type: ignore[misc]
    for name in ("gone", "missing", "moved"):
        assert len(app.on("/" + name)) == 1
    assert app.on("/elsewhere") == []
    assert await dlq.count(redis) == 3


async def test_retry_after_is_honoured(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """429 with Retry-After: 3 makes the next attempt wait at least 3 s."""
    app, url = receiver
    app.script["/slow"] = [(429, {"retry-after": "3"})]
    async with worker(settings, rules_from(_rule(url + "/slow"))):
        await store_event(redis, "e5")
        await wait_for(lambda: _status_is(redis, "e5:notify", "succeeded"))
    first, second = app.on("/slow")
    assert second.at - first.at >= 3.0


async def test_false_if_records_the_step_as_skipped(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A step whose `if:` is false is recorded as skipped and the next step still runs."""
    app, url = receiver
    rules = f"""
rules:
  - name: cond
    on: perfex.leads.created
    do:
      - webhook: {{url: "{url}/no"}}
        if: event.data.n > 5
      - webhook: {{url: "{url}/yes"}}
"""
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "e6", n=1)
        await wait_for(lambda: _status_is(redis, "e6:cond", "succeeded"))
    assert app.on("/no") == [] and len(app.on("/yes")) == 1
    run = await history.get_run(redis, "e6:cond")
    assert run is not None
    assert [s["status"] for s in run["steps"]] == ["skipped", "succeeded"]


async def _status_is(redis: Redis, run_id: str, status: str) -> bool:
    return await run_status(redis, run_id) == status


async def test_open_circuit_defers_without_spending_attempts(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """After 3 straight 503s the host's circuit opens: the run waits, attempts stay at 3."""
    app, url = receiver
    app.default = 503
    tuning = Tuning(breaker_threshold=3, breaker_cooldown=1.0)
    rule = _rule(url + "/in", "{attempts: 10, backoff: 0.05, max_delay: 0.05}")
    async with worker(settings, rules_from(rule), tuning=tuning):
        await store_event(redis, "b1")
        await wait_for(lambda: _stat_at_least(redis, "deferrals", 1))
        run = await history.get_run(redis, "b1:notify")
        assert run is not None and run["steps"][0]["attempts"] == 3
        assert run["status"] == "retrying" and "circuit open" in run["error"]
        app.default = 200
        await wait_for(lambda: _status_is(redis, "b1:notify", "succeeded"))
    assert len(app.on("/in")) == 4
    run = await history.get_run(redis, "b1:notify")
    assert run is not None and run["steps"][0]["attempts"] == 4


async def _stat_at_least(redis: Redis, name: str, value: int) -> bool:
    return (await history.stats(redis)).get(name, 0) >= value


async def test_large_answers_are_read_bounded_and_json_outputs_kept_whole(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A 5 MB answer is not read whole; a 3 KB JSON answer feeds the next step entire."""
    app, url = receiver
    app.bodies["/json"] = json.dumps({"items": ["x" * 100] * 30, "id": 7}).encode()
    app.bodies["/big"] = b"y" * (5 * 1024 * 1024)
    rules = f"""
rules:
  - name: chain
    on: perfex.leads.created
    do:
      - id: first
        webhook: {{url: "{url}/json"}}
      - id: second
        webhook: {{url: "{url}/big", body: {{got: "{{{{ steps.first.body.id }}}}"}}}}
      - webhook: {{url: "{url}/after", body: {{size: "{{{{ steps.second.body | length }}}}"}}}}
"""
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "b1")
        await wait_for(lambda: _status_is(redis, "b1:chain", "succeeded"))
    assert json.loads(app.on("/big")[0].body) == {"got": 7}
    assert json.loads(app.on("/after")[0].body) == {"size": webhook.MAX_RESPONSE_BYTES}
    run = await history.get_run(redis, "b1:chain")
    assert run is not None
    assert all(len(a["response"]) <= webhook.EXCERPT_BYTES for a in run["attempts"])
