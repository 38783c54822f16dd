"""Injected faults behave as configured, and the call log records what came in."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.sandbox.conftest import TOKEN


def add_fault(control: httpx.Client, **spec: object) -> int:
    """Add a fault through the control API; returns its id."""
    response = control.post("/faults", json=spec)
    assert response.status_code == 201, response.text
    fault_id: int = response.json()["id"]
    return fault_id


def test_down_answers_503(api: httpx.Client, control: httpx.Client) -> None:
    """A down route answers 503 until the fault is cleared; other routes still work."""
    add_fault(control, route="/api/zapier/*", mode="down")
    assert api.get("/zapier/poll/leads").status_code == 503
    assert api.get("/zapier/poll/leads").status_code == 503
    assert api.get("/common/tax_data").status_code == 200
    assert control.delete("/faults").json() == []
    assert api.get("/zapier/poll/leads").status_code == 200


def test_drop_closes_the_connection(api: httpx.Client, control: httpx.Client) -> None:
    """A dropped call dies mid-response: the client sees a protocol error, not an answer."""
    add_fault(control, route="/api/leads*", mode="drop", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/leads")
    assert api.get("/leads").status_code == 404  # no leads yet: Perfex's own answer


def test_slow_delays_at_least_the_configured_time(api: httpx.Client, control: httpx.Client) -> None:
    """A slow route answers normally, after at least `seconds`."""
    add_fault(control, route="/api/common/*", mode="slow", seconds=0.3)
    started = time.monotonic()
    response = api.get("/common/tax_data")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_error_for_n_calls_then_recovery(api: httpx.Client, control: httpx.Client) -> None:
    """`error` with count 2: two 500s (PHP's error page), then normal answers."""
    add_fault(control, route="/api/common/tax_data", mode="error", count=2)
    first, second = api.get("/common/tax_data"), api.get("/common/tax_data")
    assert (first.status_code, second.status_code) == (500, 500)
    assert "A PHP Error was encountered" in first.text
    assert api.get("/common/tax_data").status_code == 200
    assert control.get("/faults").json() == []


def test_rate_limit_sends_retry_after(api: httpx.Client, control: httpx.Client) -> None:
    """A rate-limited route answers 429 with Retry-After."""
    add_fault(control, route="/api/*", mode="rate_limit", retry_after=7, count=1)
    response = api.get("/zapier/poll/leads")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert api.get("/zapier/poll/leads").status_code == 200


def test_fault_for_one_method_only(api: httpx.Client, control: httpx.Client) -> None:
    """A fault with a method leaves other methods alone."""
    add_fault(control, route="/api/customers", mode="down", method="post")
    assert api.post("/customers", data={"company": "A"}).status_code == 503
    assert api.get("/customers").status_code == 404  # served: no customers yet


def test_remove_one_fault(api: httpx.Client, control: httpx.Client) -> None:
    """DELETE /_sandbox/faults/{id} removes just that fault."""
    keep = add_fault(control, route="/api/leads", mode="down")
    drop = add_fault(control, route="/api/common/*", mode="down")
    assert control.delete(f"/faults/{drop}").status_code == 200
    assert [f["id"] for f in control.get("/faults").json()] == [keep]
    assert control.delete(f"/faults/{drop}").status_code == 404


def test_bad_fault_spec_is_400(control: httpx.Client) -> None:
    """An unknown mode or a bad count is refused with a message."""
    assert control.post("/faults", json={"mode": "explode"}).status_code == 400
    bad = control.post("/faults", json={"mode": "error", "count": 0})
    assert bad.status_code == 400
    assert "count" in bad.json()["error"]


def test_faults_apply_before_the_token_check(
    sandbox_url: str, raw: httpx.Client, control: httpx.Client
) -> None:
    """A down server answers 503 whatever the token."""
    add_fault(control, route="*", mode="down")
    assert raw.get(sandbox_url + "/api/leads").status_code == 503


def test_call_log_records_calls_without_tokens(
    sandbox_url: str, raw: httpx.Client, api: httpx.Client, control: httpx.Client
) -> None:
    """Every call is logged with method, path, query, form fields and status; no token."""
    add_fault(control, route="/api/common/*", mode="error", count=1)
    api.post(
        "/leads",
        data={
            "name": "Logged",
            "source": "1",
            "status": "1",
            "assigned": "1",
            "password": "hunter2",
        },
    )
    raw.get(sandbox_url + "/api/zapier/poll/leads", params={"authtoken": TOKEN, "limit": 5})
    api.get("/common/tax_data")
    raw.get(sandbox_url + "/api/leads", headers={"authtoken": "wrong"})
    calls = control.get("/calls").json()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/api/leads", 200),
        ("GET", "/api/zapier/poll/leads", 200),
        ("GET", "/api/common/tax_data", 500),
        ("GET", "/api/leads", 401),
    ]
    assert calls[0]["fields"] == {"name": "Logged", "source": "1", "status": "1", "assigned": "1"}
    assert calls[1]["query"] == {"limit": "5"}
    assert calls[2]["fault"] == "error"
    text = json.dumps(calls)
    assert TOKEN not in text
    assert "hunter2" not in text
    assert control.delete("/calls").json() == []


def test_control_calls_are_not_logged(api: httpx.Client, control: httpx.Client) -> None:
    """The log holds API calls only, not the control API's own traffic."""
    control.get("/clock")
    api.get("/leads")
    assert [c["path"] for c in control.get("/calls").json()] == ["/api/leads"]


def test_reject_answers_like_a_perfex_failure(api: httpx.Client, control: httpx.Client) -> None:
    """`reject` answers 404 {"status": false, "message": ...}, Perfex's way of failing."""
    add_fault(
        control, route="/api/leads", mode="reject", method="POST", count=1, message="Lead add fail."
    )
    form = {"name": "X", "source": "1", "status": "1", "assigned": "1"}
    failed = api.post("/leads", data=form)
    assert failed.status_code == 404
    assert failed.json() == {"status": False, "message": "Lead add fail."}
    assert api.post("/leads", data=form).status_code == 200
    assert len(control.get("/records/leads").json()) == 1
