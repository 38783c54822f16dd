"""The control API: clock, direct record changes, custom tables, reset, and its refusals."""

from __future__ import annotations

import time

import httpx

from tests.sandbox.conftest import make_record


def test_clock_set_advance_and_reset(control: httpx.Client) -> None:
    """The clock can be set (running or frozen), advanced, and put back to real time."""
    frozen = control.post("/clock", json={"set": 1_800_000_000, "freeze": True}).json()
    assert frozen["now"] == 1_800_000_000
    assert frozen["frozen"] is True
    assert frozen["datetime"] == "2027-01-15 08:00:00"
    assert control.post("/clock", json={"advance": 90}).json()["now"] == 1_800_000_090
    running = control.post("/clock", json={"set": 1_800_000_000}).json()
    assert running["frozen"] is False
    assert 1_800_000_000 <= running["now"] <= 1_800_000_000 + 60
    real = control.post("/clock", json={"reset": True}).json()
    assert abs(real["now"] - time.time()) < 60


def test_clock_refuses_bad_values(control: httpx.Client) -> None:
    """Non-numeric times and non-object bodies are refused with 400."""
    assert control.post("/clock", json={"set": "noon"}).status_code == 400
    assert control.post("/clock", json=[1]).status_code == 400
    assert control.post("/clock", content=b"{broken").status_code == 400


def test_direct_changes_bypass_the_api(api: httpx.Client, control: httpx.Client) -> None:
    """Records made, changed and deleted directly show in the API at once."""
    lead = make_record(control, "leads", name="Direct", status="1")
    assert lead["junk"] == "0"
    assert api.get(f"/leads/{lead['id']}").json()["name"] == "Direct"
    changed = control.patch(f"/records/leads/{lead['id']}", json={"status": 3, "id": "99"})
    assert changed.json()["status"] == "3"
    assert changed.json()["id"] == lead["id"]
    assert control.get(f"/records/leads/{lead['id']}").json()["status"] == "3"
    assert control.delete(f"/records/leads/{lead['id']}").json() == {"deleted": 1}
    assert api.get(f"/leads/{lead['id']}").status_code == 404


def test_direct_changes_refuse_what_is_missing(control: httpx.Client) -> None:
    """Unknown records are 404; bodies that are not JSON objects are 400."""
    assert control.get("/records/leads/7").status_code == 404
    assert control.patch("/records/leads/7", json={"name": "x"}).status_code == 404
    assert control.delete("/records/leads/7").status_code == 404
    assert control.post("/records/leads", json=[1, 2]).status_code == 400
    assert control.patch("/records/leads/1", json=["x"]).status_code == 400


def test_customtable_declaration_needs_columns(control: httpx.Client) -> None:
    """Declaring a custom table takes a list of column names."""
    assert control.post("/customtables/t", json={"columns": "size"}).status_code == 400
    declared = control.post("/customtables/t", json={"columns": ["size", "id"]}).json()
    assert declared["columns"] == ["size"]


def test_reset_gives_a_fresh_sandbox(api: httpx.Client, control: httpx.Client) -> None:
    """Reset drops records, faults and the call log; with seed it adds demo records."""
    make_record(control, "leads", name="Gone soon")
    control.post("/faults", json={"route": "/api/common/*", "mode": "down"})
    assert control.post("/reset", json={}).json() == {"reset": True, "seed": False}
    assert control.get("/records/leads").json() == []
    assert control.get("/faults").json() == []
    assert control.get("/calls").json() == []
    assert api.get("/common/tax_data").status_code == 200
    control.post("/reset", json={"seed": True})
    assert len(api.get("/customers").json()) == 2
