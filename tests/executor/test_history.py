"""Run history: redaction of secrets, listing with filters and paging, run detail, counters."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bridge.executor import history
from bridge.redaction import REDACTED, redact
from bridge.rules.loader import Source, load_sources
from bridge.settings import Settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import (
    FixedRules,
    Receiver,
    rules_from,
    run_status,
    store_event,
    wait_for,
)

SIGNING = "whsec_c2lnbmluZy1zZWNyZXQtdmFsdWUtMTIzNDU2Nzg5MA=="
BEARER = "bearer-token-value-0987"
PASSWORD = "hunter2-password-value"


async def _dump(redis: Redis) -> bytes:
    """Every string, list and hash value in the database, concatenated."""
    out = b""
    async for key in redis.scan_iter(count=1000):
        kind = (await redis.type(key)).decode()
        if kind == "string":
            out += await redis.get(key) or b""
        elif kind == "list":
            out += b"".join(await redis.lrange(key, 0, -1))  # type: ignore[misc]
        elif kind == "hash":
            out += b"".join(await redis.hvals(key))  # type: ignore[misc]
    return out


async def test_secrets_never_reach_the_stored_history(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """Signing secret, Authorization header and a password field are redacted everywhere."""
    app, url = receiver
    app.default = 400
    rules = f"""
rules:
  - name: leaky
    on: perfex.leads.created
    do:
      - webhook:
          url: "{url}/in?key={SIGNING}"
          secret: {SIGNING}
          headers: {{Authorization: "Bearer {BEARER}", X-Note: "sig {SIGNING}"}}
          body: {{user: "{{{{ event.data.user }}}}", password: "{PASSWORD}"}}
"""
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "h1", user="ann")
        await wait_for(lambda: _status(redis, "h1:leaky", "failed"))
    assert len(app.received) == 1  # the receiver did get the real values
    assert app.received[0].headers["authorization"] == f"Bearer {BEARER}"
    stored = (await _dump(redis)).replace(b"bridge:event:", b"")
    event_free = stored.replace(b'"user":"ann"', b"")
    for secret in (SIGNING, BEARER, PASSWORD):
        assert secret.encode() not in event_free
    run = await history.get_run(redis, "h1:leaky")
    assert run is not None
    request = run["attempts"][0]["request"]
    assert request["headers"]["Authorization"] == REDACTED
    assert request["body"] == {"user": "ann", "password": REDACTED}
    assert REDACTED in request["url"]


async def test_values_read_from_the_environment_are_not_stored(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A `${VAR}` value (a receiver URL carrying its key) is cut out of the run history."""
    app, url = receiver
    hook_key = "k3y-from-the-environment-42"
    rules = """
rules:
  - name: env
    on: perfex.leads.created
    do:
      - webhook: {url: "${RECEIVER_URL}"}
"""
    ruleset = load_sources([Source("t.yaml", rules)], {"RECEIVER_URL": f"{url}/in?k={hook_key}"})
    async with worker(settings, FixedRules(ruleset)):
        await store_event(redis, "h9")
        await wait_for(lambda: _status(redis, "h9:env", "succeeded"))
    assert app.received[0].path == "/in"  # the real URL was used
    assert hook_key.encode() not in (await _dump(redis))
    run = await history.get_run(redis, "h9:env")
    assert run is not None
    assert run["attempts"][0]["request"]["url"] == REDACTED


def test_redact_masks_secret_named_fields_at_any_depth() -> None:
    """Fields named like token/secret/password/api-key are masked in nested data."""
    data = {"a": {"authtoken": "x", "list": [{"api_key": "y", "ok": 1}]}, "Password": "z"}
    assert redact(data) == {
        "a": {"authtoken": REDACTED, "list": [{"api_key": REDACTED, "ok": 1}]},
        "Password": REDACTED,
    }


async def test_list_filters_paging_and_detail(
    redis: Redis, settings: Settings, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """Runs list by status, rule and type, page with a cursor; detail has every attempt."""
    app, url = receiver
    app.script["/bad"] = [(400, {})] * 3
    rules = f"""
rules:
  - name: good
    on: perfex.leads.created
    do: [{{webhook: {{url: "{url}/good"}}}}]
  - name: bad
    on: perfex.leads.created
    if: event.data.n < 3
    do: [{{webhook: {{url: "{url}/bad"}}}}]
"""
    async with worker(settings, rules_from(rules)):
        for n in range(5):
            await store_event(redis, f"p{n}", n=n)
        await wait_for(lambda: _count(redis, 8))
        # 5 lead events, and the bridge.run.dead_lettered event of each of the 3 failures
        await wait_for(lambda: _routed(redis, 8))
    page = await history.list_runs(redis, limit=3)
    assert page.total == 8 and len(page.runs) == 3 and page.next_cursor == 3
    seen = [r["id"] for r in page.runs]
    while page.next_cursor is not None:
        page = await history.list_runs(redis, limit=3, cursor=page.next_cursor)
        seen += [r["id"] for r in page.runs]
    assert sorted(seen) == sorted(
        [f"p{n}:good" for n in range(5)] + [f"p{n}:bad" for n in range(3)]
    )
    failed = await history.list_runs(redis, status="failed")
    assert sorted(r["id"] for r in failed.runs) == ["p0:bad", "p1:bad", "p2:bad"]
    assert len((await history.list_runs(redis, rule="good")).runs) == 5
    by_type = await history.list_runs(redis, event_type="perfex.leads.created", status="succeeded")
    assert len(by_type.runs) == 5
    assert [r["rule"] for r in await history.runs_for_event(redis, "p1")] == ["good", "bad"]
    detail = await history.get_run(redis, "p1:bad")
    assert detail is not None and detail["attempts"][0]["status"] == 400
    assert await history.get_run(redis, "nope") is None
    counts = await history.status_counts(redis)
    assert counts["succeeded"] == 5 and counts["failed"] == 3 and counts["running"] == 0
    stats = await history.stats(redis)
    assert stats["steps_succeeded"] == 5 and stats["dead_letters"] == 3
    assert stats["events_routed"] == 8 and stats["runs_started"] == 8
    with pytest.raises(ValueError, match="unknown run status"):
        await history.list_runs(redis, status="bogus")


async def _status(redis: Redis, run_id: str, status: str) -> bool:
    return await run_status(redis, run_id) == status


async def _routed(redis: Redis, events: int) -> bool:
    return (await history.stats(redis)).get("events_routed") == events


async def _count(redis: Redis, finished: int) -> bool:
    counts = await history.status_counts(redis)
    return counts["succeeded"] + counts["failed"] == finished
