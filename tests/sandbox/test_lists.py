"""Lists as the v3 module answers them, and as an older module does (the module switch)."""

from __future__ import annotations

import httpx
import pytest


def _leads(control: httpx.Client, n: int, **extra: str) -> list[dict[str, str]]:
    rows = [{"name": f"L{i}", "status": "1", "source": "1", **extra} for i in range(n)]
    created: list[dict[str, str]] = control.post("/records/leads", json=rows).json()
    return created


def test_plain_array_without_paging_parameters(api: httpx.Client, control: httpx.Client) -> None:
    """No page/per_page: the whole list as a plain JSON array."""
    _leads(control, 3)
    body = api.get("/leads").json()
    assert isinstance(body, list) and [r["name"] for r in body] == ["L0", "L1", "L2"]


def test_envelope_once_paging_is_asked(api: httpx.Client, control: httpx.Client) -> None:
    """page or per_page: {data, meta} with the module's meta keys."""
    _leads(control, 5)
    body = api.get("/leads", params={"page": 2, "per_page": 2}).json()
    assert [r["name"] for r in body["data"]] == ["L2", "L3"]
    assert body["meta"] == {
        "page": 2, "current_page": 2, "per_page": 2, "total": 5, "total_pages": 3,
        "last_page": 3, "has_more": True,
    }  # fmt: skip


def test_page_past_the_end_is_clamped_to_the_last(api: httpx.Client, control: httpx.Client) -> None:
    """page 99 of 3 answers page 3 (not empty): stop on page >= last_page."""
    _leads(control, 5)
    body = api.get("/leads", params={"page": 99, "per_page": 2}).json()
    assert body["meta"]["current_page"] == 3 and [r["name"] for r in body["data"]] == ["L4"]


@pytest.mark.parametrize(("asked", "given"), [(0, 1), (-5, 1), (1000, 100), ("x", 20)])
def test_per_page_is_clamped(
    api: httpx.Client, control: httpx.Client, asked: int | str, given: int
) -> None:
    """per_page outside 1..100 (or not a number) is brought back into range."""
    _leads(control, 1)
    assert api.get("/leads", params={"per_page": asked}).json()["meta"]["per_page"] == given


def test_tasks_always_envelope_20_a_page(api: httpx.Client, control: httpx.Client) -> None:
    """Tasks answer the envelope even without paging parameters, 20 a page."""
    control.post("/records/tasks", json=[{"name": f"t{i}"} for i in range(25)])
    body = api.get("/tasks").json()
    assert len(body["data"]) == 20 and body["meta"]["last_page"] == 2


def test_limit_with_page_sets_the_page_size(api: httpx.Client, control: httpx.Client) -> None:
    """`limit` together with `page` is the page size."""
    _leads(control, 5)
    assert len(api.get("/leads", params={"page": 1, "limit": 4}).json()["data"]) == 4


def test_fields_and_sort(api: httpx.Client, control: httpx.Client) -> None:
    """fields=a,b keeps only those columns; sort=-id is numeric-aware and descending."""
    _leads(control, 11)
    body = api.get("/leads", params={"fields": "id,name", "sort": "-id", "per_page": 3}).json()
    assert body["data"] == [
        {"id": "11", "name": "L10"}, {"id": "10", "name": "L9"}, {"id": "9", "name": "L8"},
    ]  # fmt: skip
    two_keys = api.get("/leads", params={"sort": "status,-name", "fields": "name"}).json()
    assert two_keys[0] == {"name": "L9"}


def test_created_after_filters_on_the_creation_column(
    api: httpx.Client, control: httpx.Client
) -> None:
    """created_after / date_to match the first date column; undated rows are kept."""
    control.post(
        "/records/leads",
        json=[
            {"name": "old", "dateadded": "2026-01-05 10:00:00"},
            {"name": "new", "dateadded": "2026-11-20 10:00:00"},
        ],
    )
    control.post("/records/items", json=[{"description": "undated"}])
    names = [r["name"] for r in api.get("/leads", params={"created_after": "2026-06-01"}).json()]
    assert names == ["new"]
    names = [r["name"] for r in api.get("/leads", params={"date_to": "2026-01-05"}).json()]
    assert names == ["old"]
    items = api.get("/items", params={"created_after": "2030-01-01"}).json()
    assert [r["description"] for r in items] == ["undated"]


def test_empty_list_shapes(api: httpx.Client) -> None:
    """Empty: 404 No data were found as an array; an empty page in the envelope."""
    assert api.get("/contracts").status_code == 404
    body = api.get("/contracts", params={"page": 1}).json()
    assert body["data"] == [] and body["meta"]["last_page"] == 1


def test_older_module_has_no_undocumented_lists(api: httpx.Client, control: httpx.Client) -> None:
    """version legacy: invoices' list is CodeIgniter's 404 page, leads ignore paging."""
    _leads(control, 3)
    assert control.post("/module", json={"version": "legacy"}).status_code == 200
    response = api.get("/invoices", params={"page": 1})
    assert response.status_code == 404 and "404 Page Not Found" in response.text
    assert isinstance(api.get("/leads", params={"page": 1, "per_page": 1}).json(), list)
    assert api.get("/webhooks").status_code == 404
    control.post("/module", json={"version": "v3", "no_list": ["leads"]})
    assert api.get("/leads").status_code == 404
    assert api.get("/leads/1").status_code == 200  # only the list went
    assert control.post("/module", json={"version": "v9"}).status_code == 400
