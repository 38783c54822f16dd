"""SQLite mode: the sandbox's data survives re-creating the app on the same file."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from bridge.sandbox.app import create_app

Serve = Callable[..., AbstractContextManager[str]]


def test_data_survives_a_restart(serve: Serve, tmp_path: Path) -> None:
    """Records, custom fields and id counters persist; the seed is not applied twice."""
    db = tmp_path / "sandbox.sqlite3"
    headers = {"authtoken": "tok"}
    with serve(create_app(token="tok", db_path=db, seed=True)) as url:
        api = httpx.Client(base_url=url + "/api", headers=headers)
        seeded = len(api.get("/leads").json())
        form = {
            "name": "Persistent",
            "source": "1",
            "status": "1",
            "assigned": "1",
            "custom_fields[leads][4]": "9000",
        }
        assert api.post("/leads", data=form).status_code == 200
        api.delete("/delete/leads/1")
        api.close()
    with serve(create_app(token="tok", db_path=db, seed=True)) as url:
        api = httpx.Client(base_url=url + "/api", headers=headers)
        leads = api.get("/leads").json()
        assert len(leads) == seeded
        kept = api.get("/leads/search/Persistent").json()[0]
        assert {"label": "Budget", "value": "9000"} in kept["customfields"]
        assert api.get("/leads/1").status_code == 404
        api.post("/leads", data={**form, "name": "Next"})
        ids = [int(lead["id"]) for lead in api.get("/leads").json()]
        assert max(ids) == int(kept["id"]) + 1
        api.close()


def test_reset_empties_the_file(serve: Serve, tmp_path: Path) -> None:
    """A control reset also empties the SQLite file."""
    db = tmp_path / "sandbox.sqlite3"
    with serve(create_app(token="tok", db_path=db, seed=True)) as url:
        reset = httpx.post(url + "/_sandbox/reset", headers={"X-Sandbox-Token": "tok"}, json={})
        assert reset.status_code == 200
    with serve(create_app(token="tok", db_path=db)) as url:
        response = httpx.get(url + "/api/leads", headers={"authtoken": "tok"})
        assert response.status_code == 404
