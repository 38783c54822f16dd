"""The zapier poll endpoint behaves like the real controller, quirks included."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.conftest import TOKEN, make_record

#: 2026-03-10 09:00:00 UTC: a fixed instant for the sandbox clock.
T0 = 1773133200


def freeze(control: httpx.Client, at: float) -> None:
    """Stop the sandbox clock at `at`."""
    assert control.post("/clock", json={"set": at, "freeze": True}).status_code == 200


def stamp(ts: float) -> str:
    """A timestamp as the sandbox's local Y-m-d H:i:s (UTC)."""
    from bridge.sandbox.clock import local_datetime

    return local_datetime(ts)


def poll(api: httpx.Client, resource: str, **params: Any) -> dict[str, Any]:
    """GET /zapier/poll/<resource>, asserting 200."""
    response = api.get(f"/zapier/poll/{resource}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_burst_beyond_limit_returns_only_the_newest(
    api: httpx.Client, control: httpx.Client
) -> None:
    """120 leads in a burst, limit 50: the 50 newest come back, newest first."""
    freeze(control, T0 + 200)
    leads = [{"name": f"Lead {i}", "dateadded": stamp(T0 + i)} for i in range(120)]
    created = control.post("/records/leads", json=leads).json()
    body = poll(api, "leads", since=T0, limit=50)
    ids = [row["id"] for row in body["data"]]
    assert ids == [r["id"] for r in reversed(created[70:])]
    assert body["meta"]["count"] == 50


def test_limit_defaults_to_50(api: httpx.Client, control: httpx.Client) -> None:
    """Without limit, at most 50 records come back."""
    freeze(control, T0 + 100)
    control.post("/records/leads", json=[{"name": f"L{i}"} for i in range(60)])
    assert poll(api, "leads", since=T0)["meta"]["count"] == 50


def test_since_is_inclusive_at_one_second(api: httpx.Client, control: httpx.Client) -> None:
    """A record created at `since` comes back; one second later it does not."""
    freeze(control, T0)
    lead = make_record(control, "leads", name="Edge")
    assert [r["id"] for r in poll(api, "leads", since=T0)["data"]] == [lead["id"]]
    assert poll(api, "leads", since=T0)["data"][0]["id"] == lead["id"]
    assert poll(api, "leads", since=T0 + 1)["data"] == []


def test_updates_do_not_show_in_poll(api: httpx.Client, control: httpx.Client) -> None:
    """Modifying a record does not bring it back: only the creation column counts."""
    freeze(control, T0)
    lead = make_record(control, "leads", name="Old")
    control.post("/clock", json={"advance": 3600})
    api.put(
        f"/leads/{lead['id']}", data={"name": "New", "source": "1", "status": "2", "assigned": "1"}
    )
    assert poll(api, "leads", since=T0 + 60)["data"] == []


def test_invoice_returns_all_day(api: httpx.Client, control: httpx.Client) -> None:
    """Invoices compare the date only: one of today returns on every poll of the day."""
    make_record(control, "customers", company="Acme")
    freeze(control, T0)
    form = {
        "clientid": "1",
        "number": "1",
        "date": "2026-03-10",
        "currency": "1",
        "subtotal": "1",
        "total": "1",
        "billing_street": "x",
        "allowed_payment_modes[]": "1",
        "newitems[0][description]": "a",
    }
    assert api.post("/invoices", data=form).status_code == 200
    late = T0 + 14 * 3600  # 23:00 the same day
    freeze(control, late)
    assert [r["number"] for r in poll(api, "invoices", since=late - 30)["data"]] == ["1"]
    assert poll(api, "invoices", since=T0 + 86400)["data"] == []


def test_closed_ticket_never_returns(api: httpx.Client, control: httpx.Client) -> None:
    """Tickets with status 5 (closed) are filtered out; an open one is returned."""
    freeze(control, T0)
    make_record(control, "tickets", subject="Closed at birth", status="5")
    open_ticket = make_record(control, "tickets", subject="Open")
    rows = poll(api, "tickets", since=T0)["data"]
    assert [r["subject"] for r in rows] == ["Open"]
    control.patch(f"/records/tickets/{open_ticket['id']}", json={"status": "5"})
    assert poll(api, "tickets", since=T0)["data"] == []


def test_junk_lead_never_returns(api: httpx.Client, control: httpx.Client) -> None:
    """A lead created as junk is never polled."""
    freeze(control, T0)
    make_record(control, "leads", name="Spam", junk="1")
    make_record(control, "leads", name="Real")
    assert [r["name"] for r in poll(api, "leads", since=T0)["data"]] == ["Real"]


def test_inactive_customer_and_complete_task_never_return(
    api: httpx.Client, control: httpx.Client
) -> None:
    """Customers need active = 1 and tasks status != 5."""
    freeze(control, T0)
    make_record(control, "customers", company="Gone", active="0")
    live = make_record(control, "customers", company="Live")
    make_record(control, "tasks", name="Done", status="5")
    make_record(control, "tasks", name="Todo")
    customers = poll(api, "customers", since=T0)["data"]
    assert [(c["id"], c["userid"]) for c in customers] == [(live["userid"], live["userid"])]
    assert [t["name"] for t in poll(api, "tasks", since=T0)["data"]] == ["Todo"]


def test_next_poll_follows_the_sandbox_clock(api: httpx.Client, control: httpx.Client) -> None:
    """meta.next_poll is the sandbox's time(), wherever its clock stands."""
    freeze(control, T0)
    assert poll(api, "leads", since=T0)["meta"] == {"since": T0, "count": 0, "next_poll": T0}
    control.post("/clock", json={"advance": 30})
    assert poll(api, "leads", since=T0)["meta"]["next_poll"] == T0 + 30


def test_since_defaults_to_a_day_ago(api: httpx.Client, control: httpx.Client) -> None:
    """Without since, records of the last 24 hours come back."""
    freeze(control, T0)
    make_record(control, "leads", name="Old", dateadded=stamp(T0 - 25 * 3600))
    make_record(control, "leads", name="Recent", dateadded=stamp(T0 - 23 * 3600))
    body = poll(api, "leads")
    assert [r["name"] for r in body["data"]] == ["Recent"]
    assert body["meta"]["since"] == T0 - 86400


def test_records_created_through_the_api_carry_the_sandbox_time(
    api: httpx.Client, control: httpx.Client
) -> None:
    """dateadded comes from the sandbox clock, so a moved clock moves creation times."""
    freeze(control, T0)
    api.post("/leads", data={"name": "Clocked", "source": "1", "status": "1", "assigned": "1"})
    assert api.get("/leads/1").json()["dateadded"] == "2026-03-10 09:00:00"


def test_three_token_forms_work(sandbox_url: str, raw: httpx.Client) -> None:
    """authtoken header, Authorization: Bearer and ?authtoken= all open the poll endpoint."""
    url = sandbox_url + "/api/zapier/poll/leads"
    forms: list[dict[str, Any]] = [
        {"headers": {"authtoken": TOKEN}},
        {"headers": {"Authorization": f"Bearer {TOKEN}"}},
        {"params": {"authtoken": TOKEN}},
    ]
    for form in forms:
        response = raw.get(url, **form)
        assert response.status_code == 200, form
        assert response.json()["status"] is True


def test_unknown_method_is_404(api: httpx.Client) -> None:
    """An unknown zapier method answers 404 {"error": "Method not found: <name>_get"}."""
    response = api.get("/zapier/invalid/leads")
    assert response.status_code == 404
    assert response.json() == {"error": "Method not found: invalid_get"}


def test_empty_resource_is_400(api: httpx.Client) -> None:
    """Poll and test without a resource answer 400 Resource parameter required."""
    for path in ("/zapier/poll", "/zapier/poll/", "/zapier/test"):
        response = api.get(path)
        assert response.status_code == 400
        assert response.json() == {"status": False, "message": "Resource parameter required"}


def test_unknown_resource_is_empty(api: httpx.Client) -> None:
    """An unknown resource answers 200 with empty data."""
    body = poll(api, "spaceships")
    assert body["data"] == []
    assert body["meta"]["count"] == 0


def test_resources_lists_the_five(api: httpx.Client) -> None:
    """zapier/resources names the five pollable resources."""
    body = api.get("/zapier/resources").json()
    assert [r["key"] for r in body["data"]] == [
        "customers",
        "invoices",
        "leads",
        "tasks",
        "tickets",
    ]


def test_zapier_test_gives_a_recent_record_or_a_sample(
    api: httpx.Client, control: httpx.Client
) -> None:
    """zapier/test returns a record of the last 30 days, else the fixed sample."""
    freeze(control, T0)
    sample = api.get("/zapier/test/customers").json()
    assert sample == {
        "status": True,
        "data": {
            "id": 1,
            "company": "Sample Company",
            "email": "sample@example.com",
            "phone": "+1234567890",
        },
    }
    make_record(control, "customers", company="Ancient", datecreated=stamp(T0 - 40 * 86400))
    assert api.get("/zapier/test/customers").json()["data"]["company"] == "Sample Company"
    make_record(control, "customers", company="Fresh")
    assert api.get("/zapier/test/customers").json()["data"]["company"] == "Fresh"


def test_server_timezone_drives_local_times(api: httpx.Client, control: httpx.Client) -> None:
    """With a PHP timezone set, creation times are local there and `since` is read there."""
    freeze(control, T0)
    assert control.post("/clock", json={"timezone": "Europe/Athens"}).status_code == 200
    api.post("/leads", data={"name": "Greek", "source": "1", "status": "1", "assigned": "1"})
    assert api.get("/leads/1").json()["dateadded"] == "2026-03-10 11:00:00"
    assert [r["name"] for r in poll(api, "leads", since=T0)["data"]] == ["Greek"]
    assert poll(api, "leads", since=T0 + 1)["data"] == []
    bad = control.post("/clock", json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert "Mars/Olympus" in bad.json()["error"]


def test_unparseable_since_and_limit_fall_back(api: httpx.Client, control: httpx.Client) -> None:
    """since/limit are read like PHP's (int): junk means the defaults."""
    freeze(control, T0)
    make_record(control, "leads", name="Recent")
    body = poll(api, "leads", since="yesterday", limit="many")
    assert body["meta"]["since"] == T0 - 86400
    assert [r["name"] for r in body["data"]] == ["Recent"]
    assert poll(api, "leads", since=f"{T0}.9")["meta"]["since"] == T0
