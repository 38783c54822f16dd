"""The Perfex client against a real HTTP server on 127.0.0.1: encoding, ids, every failure."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bridge.exceptions import PerfexError, PerfexRateLimited, PerfexRejected, PerfexUnavailable
from bridge.loopback.servers import free_port
from bridge.perfex.catalogue import Operation
from bridge.perfex.client import PerfexClient
from bridge.perfex.forms import decode_form

TOKEN = "tok-SECRET-4f9a"
Serve = Callable[..., AbstractContextManager[str]]


def _test_op(path: str, body: Any = "query") -> Operation:
    """An operation outside the catalogue, aimed at the test app's special routes."""
    return Operation(
        name="perfex.test.get",
        method="GET",
        path=path,
        path_params=tuple(p for p in ("code",) if "{code}" in path),
        required=(),
        optional=(),
        body=body,
        returns_id=None,
        summary="test",
    )


async def _echo(request: Request) -> Response:
    """Answer what arrived, parsed the way PHP would, plus the ids creates return."""
    request.app.state.hits.append(request.url.path)
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    form = None
    if ctype.startswith("application/x-www-form-urlencoded"):
        form = decode_form(parse_qsl(raw.decode(), keep_blank_values=True))
    payload = json.loads(raw) if ctype.startswith("application/json") else None
    answer = {
        "status": True,
        "method": request.method,
        "raw_path": request.scope["raw_path"].decode(),
        "query": decode_form(request.query_params.multi_items()),
        "authtoken": request.headers.get("authtoken"),
        "body_bytes": len(raw),
        "form": form,
        "json": payload,
        "item_id": 123,
        "checklist_item_id": 15,
        "reply_id": "77",
        "id": 5,
    }
    created = request.method == "POST" and "customtable" in request.url.path
    return JSONResponse(answer, status_code=201 if created else 200)


async def _status(request: Request) -> Response:
    """Fail the way Perfex (or what stands in front of it) fails, by status code."""
    code = request.path_params["code"]
    token = request.headers.get("authtoken", "")
    bodies: dict[int, Response] = {
        200: JSONResponse({"status": False, "message": "Lead add fail"}),
        302: RedirectResponse(str(request.url_for("stolen")), status_code=302),
        400: JSONResponse({"status": False, "message": f"Bad token {token}"}, 400),
        401: JSONResponse({"status": False, "message": "Token is not valid"}, 401),
        403: JSONResponse({"status": False, "message": "No permission"}, 403),
        404: JSONResponse({"status": False, "message": "Lead Delete Fail"}, 404),
        409: JSONResponse(
            {
                "status": False,
                "error": {"email": "This Email is already exists", "phone": "Bad phone"},
                "message": "This Email is already exists",
            },
            409,
        ),
        422: PlainTextResponse("unprocessable", 422),
        500: PlainTextResponse(f"Fatal error near {token}", 500),
        502: PlainTextResponse("<html>Bad Gateway</html>", 502),
        503: JSONResponse({"status": False, "message": "maintenance"}, 503),
    }
    if code == 429:
        retry = request.query_params.get("retry_after", "")
        return JSONResponse({"message": "slow down"}, 429, headers={"retry-after": retry})
    return bodies[code]


async def _slow(request: Request) -> Response:
    await asyncio.sleep(1.0)
    return JSONResponse({"status": True})


async def _text(request: Request) -> Response:
    return PlainTextResponse("OK, but not JSON")


async def _no_data(request: Request) -> Response:
    return JSONResponse({"status": False, "message": "No data were found"}, 404)


async def _stolen(request: Request) -> Response:
    request.app.state.hits.append(request.url.path)
    return JSONResponse({"status": True})


@pytest.fixture
def app() -> Starlette:
    """A small stand-in for Perfex: echoes requests, fails on demand."""
    methods = ["GET", "POST", "PUT", "DELETE"]
    app = Starlette(
        routes=[
            Route("/api/status/{code:int}", _status, methods=methods),
            Route("/api/slow", _slow),
            Route("/api/text", _text),
            Route("/api/timesheets", _no_data),
            Route("/elsewhere/stolen", _stolen, name="stolen"),
            Route("/api/{path:path}", _echo, methods=methods),
        ]
    )
    app.state.hits = []
    return app


@pytest.fixture
def base_url(serve: Serve, app: Starlette) -> Iterator[str]:
    """The test app's API base, served on 127.0.0.1."""
    with serve(app) as url:
        yield url + "/api"


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[PerfexClient]:
    """A client on the test app."""
    async with PerfexClient(base_url, TOKEN, timeout=10.0) as client:
        yield client


async def _fail(client: PerfexClient, code: int, **fields: Any) -> PerfexError:
    with pytest.raises(PerfexError) as caught:
        await client.call(_test_op("/status/{code}"), {"code": code, **fields})
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.body
    return caught.value


async def test_form_body_arrives_php_style(client: PerfexClient) -> None:
    """Nested fields arrive as PHP arrays; the authtoken header arrives with them."""
    fields = {
        "clientid": 1,
        "newitems": [{"description": "Hosting", "qty": 2, "rate": 9.5}],
        "allowed_payment_modes": [1, 2],
        "custom_fields": {"invoice": {3: "PO-7"}},
        "include_shipping": True,
    }
    response = await client.call("perfex.invoices.create", fields)
    assert response.status == 200
    assert response.body["authtoken"] == TOKEN
    assert response.body["method"] == "POST"
    assert response.body["raw_path"] == "/api/invoices"
    assert response.body["form"] == {
        "clientid": "1",
        "newitems": [{"description": "Hosting", "qty": "2", "rate": "9.5"}],
        "allowed_payment_modes": ["1", "2"],
        "custom_fields": {"invoice": {"3": "PO-7"}},
        "include_shipping": "1",
    }
    assert response.id is None
    assert response.elapsed_ms > 0


async def test_put_fills_path_and_sends_form(client: PerfexClient) -> None:
    """Path parameters fill the path and stay out of the body."""
    fields = {"task_id": 4, "item_id": 9, "finished": 1}
    response = await client.call("perfex.tasks.checklist_update", fields)
    assert response.body["method"] == "PUT"
    assert response.body["raw_path"] == "/api/tasks/4/checklist/9"
    assert response.body["form"] == {"finished": "1"}


async def test_path_params_are_url_quoted(client: PerfexClient) -> None:
    """A search keyword with slashes and spaces stays one path segment."""
    response = await client.call("perfex.customers.search", {"keysearch": "a b/c?d"})
    assert response.body["raw_path"] == "/api/customers/search/a%20b%2Fc%3Fd"
    assert response.body["body_bytes"] == 0


async def test_customtable_sends_json_and_returns_id(client: PerfexClient) -> None:
    """Custom-table inserts are JSON with native types; the new id comes back."""
    fields = {"table": "shoes", "shoenumber": 39, "winter": True, "tags": ["a"]}
    response = await client.call("perfex.customtable.insert", fields)
    assert response.status == 201
    assert response.body["raw_path"] == "/api/thirdparty/customtable/shoes"
    assert response.body["json"] == {"shoenumber": 39, "winter": True, "tags": ["a"]}
    assert response.id == 5


@pytest.mark.parametrize(
    ("action", "fields", "new_id"),
    [
        ("perfex.items.create", {"description": "Pen", "rate": 2}, 123),
        ("perfex.tasks.checklist_add", {"id": 8, "description": "Call"}, 15),
        ("perfex.tickets.reply", {"id": 2, "message": "Hi"}, "77"),
    ],
)
async def test_new_ids_are_extracted(
    client: PerfexClient, action: str, fields: dict[str, Any], new_id: int | str
) -> None:
    """Where the reference shows a new id in the answer, the response carries it."""
    response = await client.call(action, fields)
    assert response.id == new_id


async def test_get_sends_query_and_no_body(client: PerfexClient) -> None:
    """Query-kind GETs put their fields in the query string."""
    response = await client.call("perfex.tickets.list", {"page": 2, "per_page": 50})
    assert response.body["query"] == {"page": "2", "per_page": "50"}
    assert response.body["body_bytes"] == 0


async def test_poll_sends_since_and_limit(client: PerfexClient) -> None:
    """poll() asks /zapier/poll/<resource> with both cursor parameters."""
    body = await client.poll("leads", since=1700000000, limit=50)
    assert body["raw_path"] == "/api/zapier/poll/leads"
    assert body["query"] == {"since": "1700000000", "limit": "50"}


async def test_list_uses_catalogue_or_plain_path(client: PerfexClient) -> None:
    """list() uses the resource's list action, or GET /<resource> with the given params."""
    leads = await client.list("leads")
    assert leads["raw_path"] == "/api/leads"
    invoices = await client.list("invoices", page=1)
    assert (invoices["raw_path"], invoices["query"]) == ("/api/invoices", {"page": "1"})


async def test_list_no_data_is_empty(client: PerfexClient) -> None:
    """Perfex's 404 "No data were found" on a list endpoint means an empty list."""
    assert await client.list("timesheets") == []


async def test_list_refuses_odd_resource_names(client: PerfexClient) -> None:
    """A resource name that is not a plain path word is refused before sending."""
    with pytest.raises(PerfexRejected, match="not a Perfex resource"):
        await client.list("../admin")


async def test_non_json_success_keeps_text(client: PerfexClient) -> None:
    """A 2xx answer that is not JSON comes back as text."""
    response = await client.call(_test_op("/text", "none"), {})
    assert response.body == "OK, but not JSON"


async def test_missing_path_param_is_refused_before_sending() -> None:
    """No request is made without every path parameter (nothing listens here anyway)."""
    async with PerfexClient(f"http://127.0.0.1:{free_port()}/api", TOKEN) as client:
        with pytest.raises(PerfexRejected, match="'item_id'"):
            await client.call("perfex.tasks.checklist_delete", {"task_id": 1})


async def test_fields_on_a_bodyless_operation_are_refused(client: PerfexClient) -> None:
    """Fields an endpoint cannot carry are refused instead of silently dropped."""
    with pytest.raises(PerfexRejected, match="takes no fields besides id; got extra"):
        await client.call("perfex.leads.get", {"id": 1, "extra": 2})


@pytest.mark.parametrize("code", [500, 502, 503])
async def test_server_errors_are_unavailable(client: PerfexClient, code: int) -> None:
    """5xx (with any body) is worth retrying."""
    error = await _fail(client, code)
    assert isinstance(error, PerfexUnavailable)
    assert error.retryable and error.status == code


async def test_500_body_is_scrubbed_of_token(client: PerfexClient) -> None:
    """A server that echoes the token back does not get it into the error."""
    error = await _fail(client, 500)
    assert "Fatal error near ***" in str(error)


async def test_429_retry_after_seconds(client: PerfexClient) -> None:
    """429 is rate limiting, with Retry-After in seconds."""
    error = await _fail(client, 429, retry_after="17")
    assert isinstance(error, PerfexRateLimited) and error.retryable
    assert error.retry_after == 17.0
    assert "slow down" in str(error)


async def test_429_retry_after_http_date(client: PerfexClient) -> None:
    """Retry-After as an HTTP-date becomes the seconds until then."""
    when = datetime.now(UTC) + timedelta(seconds=120)
    error = await _fail(client, 429, retry_after=format_datetime(when, usegmt=True))
    assert isinstance(error, PerfexRateLimited)
    assert error.retry_after is not None and 60 < error.retry_after <= 121


async def test_429_without_usable_retry_after(client: PerfexClient) -> None:
    """A missing or garbled Retry-After leaves the wait to the retry policy."""
    error = await _fail(client, 429, retry_after="soon-ish")
    assert isinstance(error, PerfexRateLimited) and error.retry_after is None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (401, "authentication refused: Token is not valid"),
        (403, "authentication refused: No permission"),
        (404, "Lead Delete Fail"),
        (409, "This Email is already exists; phone: Bad phone"),
        (400, "Bad token ***"),
        (422, "unprocessable"),
        (200, "Lead add fail"),
    ],
)
async def test_client_errors_are_rejected_with_perfex_message(
    client: PerfexClient, code: int, words: str
) -> None:
    """4xx and a 200 saying "status": false are not retryable and carry Perfex's words."""
    error = await _fail(client, code)
    assert type(error) is PerfexRejected and not error.retryable
    assert error.status == code
    assert words in str(error)


async def test_redirect_is_not_followed(client: PerfexClient, app: Starlette) -> None:
    """A 3xx is refused, and the token does not travel to the Location."""
    error = await _fail(client, 302)
    assert type(error) is PerfexRejected and error.status == 302
    assert "/elsewhere/stolen" in str(error)
    assert "/elsewhere/stolen" not in app.state.hits


async def test_connection_refused_is_unavailable() -> None:
    """Nothing listening on the port: retry later."""
    async with PerfexClient(f"http://127.0.0.1:{free_port()}/api", TOKEN) as client:
        with pytest.raises(PerfexUnavailable) as caught:
            await client.call("perfex.leads.list", {})
    assert caught.value.status is None
    assert "cannot reach Perfex" in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_read_timeout_is_unavailable(base_url: str) -> None:
    """An answer slower than the client's timeout is a retryable failure."""
    async with PerfexClient(base_url, TOKEN, timeout=0.2) as client:
        with pytest.raises(PerfexUnavailable, match="no answer in time") as caught:
            await client.call(_test_op("/slow", "none"), {})
    assert TOKEN not in str(caught.value)


async def test_token_never_logged(client: PerfexClient, caplog: pytest.LogCaptureFixture) -> None:
    """Debug logs of the client, httpx and httpcore never contain the token."""
    caplog.set_level(logging.DEBUG)
    await client.call("perfex.leads.create", {"source": 1, "status": 1, "name": "n", "assigned": 1})
    with pytest.raises(PerfexRejected):
        await client.call(_test_op("/status/{code}"), {"code": 400})
    assert "POST /leads -> 200" in caplog.text
    assert TOKEN not in caplog.text
