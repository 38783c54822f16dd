"""The sandbox's webhooks API and its signed deliveries (the v3 module's immediate mode)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Receiver:
    """A loopback endpoint recording deliveries; answers the queued statuses, then 200."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []

    async def endpoint(self, request: Request) -> Response:
        self.got.append((dict(request.headers), await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def wait(self, n: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.got) < n:
            assert time.monotonic() < deadline, f"{len(self.got)} deliveries, wanted {n}"
            time.sleep(0.02)


@pytest.fixture
def receiver(serve: Callable[..., AbstractContextManager[str]]) -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    with serve(Starlette(routes=[Route("/in", rec.endpoint, methods=["POST"])])) as url:
        yield rec, url + "/in"


def _create(api: httpx.Client, url: str, events: list[str], **extra: Any) -> int:
    data = {"name": "t", "url": url, "events[]": events, **extra}
    response = api.post("/webhooks", data=data)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_management_api_round_trip(api: httpx.Client) -> None:
    """Create, read (no secret), update, toggle, events catalogue, delete."""
    hook_id = _create(api, "https://x.example/in", ["invoice_paid"], secret="s")
    shown = api.get(f"/webhooks/{hook_id}").json()["data"]
    assert shown["has_secret"] is True and "secret" not in shown
    assert api.put(f"/webhooks/{hook_id}", data={"events[]": ["lead.*"]}).status_code == 200
    assert api.get("/webhooks").json()["data"][0]["events"] == ["lead.*"]
    assert api.post(f"/webhooks/{hook_id}/toggle").json()["active"] is False
    catalogue = api.get("/webhooks/events").json()["data"]
    assert "ticket_reply_created" in catalogue["ticket"]
    assert (
        api.post("/webhooks", data={"name": "x", "url": "ftp://x", "events[]": ["*"]}).status_code
        == 400
    )
    assert (
        api.post(
            "/webhooks", data={"name": "x", "url": "http://x", "events[]": ["nope"]}
        ).status_code
        == 400
    )
    assert api.delete(f"/webhooks/{hook_id}").status_code == 200
    assert api.get(f"/webhooks/{hook_id}").status_code == 404


def test_change_is_delivered_signed_and_retried(
    api: httpx.Client, control: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    """A record created is POSTed thin, signed over "<t>.<body>", retried after a 503."""
    rec, url = receiver
    rec.statuses = [503]
    hook_id = _create(api, url, ["lead.*"], secret="topsecret", retry_count="2")
    lead = control.post("/records/leads", json={"name": "Ada"}).json()
    rec.wait(2)
    headers, body = rec.got[1]
    assert rec.got[0][1] == body  # the retry sends the same delivery
    payload = json.loads(body)
    assert payload["event"] == "lead_created"
    assert payload["data"]["id"] == int(lead["id"])
    assert headers["x-perfex-event"] == "lead_created"
    assert headers["user-agent"] == "Perfex-CRM-API/3.0"
    stamp, sig = (part.split("=", 1)[1] for part in headers["x-perfex-signature"].split(","))
    expected = hmac.new(b"topsecret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig, expected)
    assert abs(int(stamp) - time.time()) < 30
    logs = api.get(f"/webhooks/{hook_id}/logs").json()["data"]
    assert [entry["status"] for entry in logs] == [200, 503]


def test_only_matching_active_hooks_get_deliveries(
    api: httpx.Client, control: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    """events filter what is sent; a toggled-off webhook gets nothing."""
    rec, url = receiver
    hook_id = _create(api, url, ["invoice_paid", "customer_updated"])
    customer = control.post("/records/customers", json={"company": "A"}).json()
    control.patch(f"/records/customers/{customer['userid']}", json={"company": "B"})
    rec.wait(1)
    api.post(f"/webhooks/{hook_id}/toggle")
    control.patch(f"/records/customers/{customer['userid']}", json={"company": "C"})
    time.sleep(0.3)
    assert [json.loads(b)["event"] for _, b in rec.got] == ["customer_updated"]
    assert "x-perfex-signature" not in rec.got[0][0]  # no secret, no signature
