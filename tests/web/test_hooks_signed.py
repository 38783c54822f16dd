"""POST /hooks/{name} over real HTTP: each sender's signature accepted, every forgery refused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event
from tests.web import signing
from tests.web.conftest import stored_ids

ISSUE = json.dumps({"action": "opened", "issue": {"title": "Bug", "number": 7}}).encode()
INVOICE = json.dumps({"id": "evt_123", "type": "invoice.paid", "data": {"object": {}}}).encode()
SIGNATURE_HEADERS = {
    "X-Hub-Signature-256",
    "Stripe-Signature",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "X-Signature",
}
SLACK_FORM = b"command=%2Fdeploy&text=prod&user_id=U1"


async def event(redis: Redis, event_id: str) -> Event:
    """The stored event (fails the test when absent)."""
    raw = await redis.get(constants.EVENT_KEY + event_id)
    assert raw is not None, event_id
    return Event.from_json(raw)


async def refused(
    client: httpx.AsyncClient,
    redis: Redis,
    hook: str,
    body: bytes,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> str:
    """POST, expect 401 JSON and nothing stored; the error message."""
    response = await client.post(f"/hooks/{hook}", content=body, headers=headers, params=params)
    assert response.status_code == 401, response.text
    assert await stored_ids(redis) == []
    message: str = response.json()["error"]
    return message


async def test_github_accepted_with_subtype_and_clean_headers(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """A GitHub-signed issues delivery is stored as webhook.github.issues without the signature."""
    response = await client.post("/hooks/github", content=ISSUE, headers=signing.github(ISSUE))
    assert response.status_code == 202
    assert response.json() == {"event_id": "webhook:github:d-1"}
    stored = await event(redis, "webhook:github:d-1")
    assert stored.type == "webhook.github.issues"
    assert stored.source == "webhook"
    assert stored.data == {"action": "opened", "issue": {"title": "Bug", "number": 7}}
    assert stored.headers is not None
    assert stored.headers["x-github-event"] == "issues"
    assert "x-hub-signature-256" not in stored.headers
    assert signing.GITHUB_SECRET not in stored.to_json()


async def test_github_replay_is_stored_once(client: httpx.AsyncClient, redis: Redis) -> None:
    """The same delivery twice: one event, and the replay still gets a 2xx with the same id."""
    headers = signing.github(ISSUE, delivery="dup-1")
    first = await client.post("/hooks/github", content=ISSUE, headers=headers)
    second = await client.post("/hooks/github", content=ISSUE, headers=headers)
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {"event_id": "webhook:github:dup-1", "duplicate": True}
    assert await stored_ids(redis) == ["webhook:github:dup-1"]
    assert await redis.xlen(constants.EVENT_STREAM) == 1


@pytest.mark.parametrize(
    ("name", "body", "sign"),
    [
        ("github", ISSUE, signing.github),
        ("stripe", INVOICE, signing.stripe),
        ("slack", SLACK_FORM, signing.slack),
        ("standard", ISSUE, signing.standard),
        ("signed", ISSUE, signing.hmac_b64),
    ],
)
async def test_signed_schemes_refuse_tampering_wrong_secret_and_missing_header(
    client: httpx.AsyncClient,
    redis: Redis,
    name: str,
    body: bytes,
    sign: Callable[..., dict[str, str]],
) -> None:
    """Tampered body, wrong secret, missing signature header: 401 each, nothing stored."""
    good = sign(body)
    await refused(client, redis, name, body + b" ", good)
    wrong = sign(body, secret="whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==")
    await refused(client, redis, name, body, wrong)
    for header in set(good) & SIGNATURE_HEADERS:
        stripped = {k: v for k, v in good.items() if k != header}
        await refused(client, redis, name, body, stripped)
    accepted = await client.post(f"/hooks/{name}", content=body, headers=good)
    assert accepted.status_code == 202, accepted.text
    assert len(await stored_ids(redis)) == 1


@pytest.mark.parametrize(
    ("name", "body", "sign", "tolerance"),
    [
        ("stripe", INVOICE, signing.stripe, 300),
        ("slack", SLACK_FORM, signing.slack, 300),
        ("standard", ISSUE, signing.standard, 60),
    ],
)
async def test_stale_timestamps_are_refused(
    client: httpx.AsyncClient,
    redis: Redis,
    name: str,
    body: bytes,
    sign: Callable[..., dict[str, str]],
    tolerance: int,
) -> None:
    """A correctly signed request older than the hook's tolerance is a 401 (replay window)."""
    message = await refused(
        client, redis, name, body, sign(body, at=int(time.time()) - tolerance - 30)
    )
    assert "tolerance" in message


async def test_stripe_dedupes_on_event_id_and_types_from_body(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Stripe's retry re-signs with a new t=; the body's evt_ id keeps it one event."""
    first = await client.post("/hooks/stripe", content=INVOICE, headers=signing.stripe(INVOICE))
    later = signing.stripe(INVOICE, at=int(time.time()) + 5)
    second = await client.post("/hooks/stripe", content=INVOICE, headers=later)
    assert first.status_code == 202
    assert second.json() == {"event_id": "webhook:stripe:evt_123", "duplicate": True}
    assert (await event(redis, "webhook:stripe:evt_123")).type == "webhook.stripe.invoice.paid"


async def test_standard_dedupes_on_webhook_id(client: httpx.AsyncClient, redis: Redis) -> None:
    """Standard Webhooks: same webhook-id, new timestamp and signature: stored once."""
    first = signing.standard(ISSUE, msg_id="msg_abc")
    again = signing.standard(ISSUE, msg_id="msg_abc", at=int(time.time()) + 2)
    assert (await client.post("/hooks/standard", content=ISSUE, headers=first)).status_code == 202
    answer = await client.post("/hooks/standard", content=ISSUE, headers=again)
    assert answer.status_code == 200
    assert await stored_ids(redis) == ["webhook:standard:msg_abc"]
    stored = await event(redis, "webhook:standard:msg_abc")
    assert stored.headers is not None and "webhook-signature" not in stored.headers


async def test_slack_form_body_is_parsed(client: httpx.AsyncClient, redis: Redis) -> None:
    """A Slack slash command (form-encoded) is stored with its fields as data."""
    response = await client.post(
        "/hooks/slack", content=SLACK_FORM, headers=signing.slack(SLACK_FORM)
    )
    assert response.status_code == 202
    stored = await event(redis, response.json()["event_id"])
    assert stored.data == {"command": "/deploy", "text": "prod", "user_id": "U1"}


async def test_hmac_identical_bodies_are_one_event(client: httpx.AsyncClient, redis: Redis) -> None:
    """A signed body sent twice is a replay: stored once (the documented hmac choice)."""
    headers = signing.hmac_b64(ISSUE)
    first = await client.post("/hooks/signed", content=ISSUE, headers=headers)
    second = await client.post("/hooks/signed", content=ISSUE, headers=headers)
    assert first.status_code == 202 and second.status_code == 200
    assert len(await stored_ids(redis)) == 1


async def test_token_hook_keeps_identical_submissions(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """Two identical form posts to a token hook are two events; Idempotency-Key dedupes."""
    form = {"email": "a@example.com", "name": "Ann"}
    auth = {"Authorization": f"Bearer {signing.TOKEN}"}
    for _ in range(2):
        assert (await client.post("/hooks/form", data=form, headers=auth)).status_code == 202
    assert len(await stored_ids(redis)) == 2
    keyed = {**auth, "Idempotency-Key": "form-42"}
    assert (await client.post("/hooks/form", data=form, headers=keyed)).status_code == 202
    assert (await client.post("/hooks/form", data=form, headers=keyed)).status_code == 200
    assert len(await stored_ids(redis)) == 3


async def test_token_in_query_and_wrong_token(client: httpx.AsyncClient, redis: Redis) -> None:
    """?token= is accepted; a wrong token is 401 with a Bearer challenge."""
    ok = await client.post("/hooks/form", json={"a": 1}, params={"token": signing.TOKEN})
    assert ok.status_code == 202
    bad = await client.post("/hooks/form", json={"a": 1}, params={"token": "nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"].startswith("Bearer")
    assert len(await stored_ids(redis)) == 1


async def test_basic_hook(client: httpx.AsyncClient, redis: Redis) -> None:
    """Basic credentials accepted; a wrong password refused; the header never stored."""
    ok = await client.post("/hooks/basic", json={"a": 1}, headers=signing.basic())
    assert ok.status_code == 202
    stored = await event(redis, ok.json()["event_id"])
    assert stored.headers is not None and "authorization" not in stored.headers
    await refused_after(client, redis, signing.basic(password="wrong"))


async def refused_after(client: httpx.AsyncClient, redis: Redis, headers: dict[str, str]) -> None:
    """A refused basic request adds no event."""
    before = await stored_ids(redis)
    response = await client.post("/hooks/basic", json={"a": 1}, headers=headers)
    assert response.status_code == 401
    assert await stored_ids(redis) == before


async def test_credential_like_headers_are_not_stored(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """x-api-key, cookies, tokens and any header holding the secret are dropped."""
    headers = {
        **signing.hmac_b64(ISSUE),
        "X-Api-Key": "k",
        "Cookie": "session=1",
        "X-Echo": f"copy of {signing.HMAC_SECRET}",
        "X-Custom": "kept",
    }
    response = await client.post("/hooks/signed", content=ISSUE, headers=headers)
    stored = await event(redis, response.json()["event_id"])
    assert stored.headers is not None
    assert stored.headers["x-custom"] == "kept"
    for name in ("x-api-key", "cookie", "x-echo", "x-signature"):
        assert name not in stored.headers


async def test_none_hook_accepts_anything_json(client: httpx.AsyncClient, redis: Redis) -> None:
    """`verify: none` stores an unsigned request."""
    response = await client.post("/hooks/open", json=[1, 2])
    assert response.status_code == 202
    assert (await event(redis, response.json()["event_id"])).data == [1, 2]
