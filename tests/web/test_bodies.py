"""Bodies and errors of POST /hooks/{name}: parsing, size limits, unknown hooks, Redis down."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis

from bridge import constants
from bridge.events import Event
from bridge.loopback.servers import free_port
from bridge.rules import RulesWatcher
from bridge.web.app import create_app
from tests.web import signing
from tests.web.conftest import make_settings, stored_ids

LIMIT = 64 * 1024  # the app_url fixture's max_body_bytes


async def data_of(redis: Redis, response: httpx.Response) -> object:
    """The `data` of the event a 202 answer stored."""
    assert response.status_code == 202, response.text
    raw = await redis.get(constants.EVENT_KEY + response.json()["event_id"])
    assert raw is not None
    return Event.from_json(raw).data


async def test_json_form_multipart_text_and_empty(client: httpx.AsyncClient, redis: Redis) -> None:
    """JSON, URL-encoded and multipart fields, text, and an empty body ({}) are stored."""
    assert await data_of(redis, await client.post("/hooks/open", json={"a": [1, 2]})) == {
        "a": [1, 2]
    }
    form = await client.post("/hooks/open", data={"name": "Ann", "tag": ["x", "y"]})
    assert await data_of(redis, form) == {"name": "Ann", "tag": ["x", "y"]}
    multipart = await client.post("/hooks/open", files={"name": (None, "Ann"), "n": (None, "1")})
    assert await data_of(redis, multipart) == {"name": "Ann", "n": "1"}
    text = await client.post(
        "/hooks/open", content="héllo".encode(), headers={"Content-Type": "text/plain"}
    )
    assert await data_of(redis, text) == "héllo"
    assert await data_of(redis, await client.post("/hooks/open")) == {}
    vendor = await client.post(
        "/hooks/open", content=b'{"k":1}', headers={"Content-Type": "application/vnd.x+json"}
    )
    assert await data_of(redis, vendor) == {"k": 1}


async def test_file_upload_is_refused(client: httpx.AsyncClient, redis: Redis) -> None:
    """A multipart file part is refused with 415 and a clear message; nothing stored."""
    response = await client.post(
        "/hooks/open", files={"doc": ("report.pdf", b"%PDF-1.4", "application/pdf")}
    )
    assert response.status_code == 415
    assert "file uploads are not accepted" in response.json()["error"]
    assert await stored_ids(redis) == []


async def test_unparseable_bodies_are_400(client: httpx.AsyncClient, redis: Redis) -> None:
    """Bad JSON, bad UTF-8, NaN, truncated multipart: 400 with a reason; nothing stored."""
    cases = [
        (b'{"a":', "application/json", "not valid JSON"),
        (b'"\xff\xfe"', "application/json", "UTF-8"),
        (b"NaN", "application/json", "not valid JSON"),
        (b"a=%ff", "application/x-www-form-urlencoded", "UTF-8"),
        (b"--b\r\nContent-Disposition: form-data", "multipart/form-data; boundary=b", ""),
        (b"x=1", "multipart/form-data", "boundary"),
    ]
    for body, content_type, reason in cases:
        response = await client.post(
            "/hooks/open", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400, (body, response.text)
        assert reason in response.json()["error"]
    assert await stored_ids(redis) == []


async def test_unsupported_or_missing_content_type_is_415(client: httpx.AsyncClient) -> None:
    """XML-ish binary types and a non-JSON body without Content-Type are 415."""
    binary = await client.post(
        "/hooks/open", content=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
    )
    assert binary.status_code == 415
    assert "application/octet-stream" in binary.json()["error"]
    bare = await client.post("/hooks/open", content=b"hello", headers={"Content-Type": ""})
    assert bare.status_code == 415


async def test_unknown_hook_and_wrong_method(client: httpx.AsyncClient) -> None:
    """An unknown hook is a JSON 404; GET on a hook a JSON 405."""
    missing = await client.post("/hooks/nope", json={})
    assert missing.status_code == 404
    assert missing.json() == {"error": "no such hook"}
    wrong = await client.get("/hooks/open")
    assert wrong.status_code == 405
    assert "error" in wrong.json()


async def test_hook_path_with_more_segments_is_a_json_404(client: httpx.AsyncClient) -> None:
    """`/hooks/open/` or `/hooks/a/b` is no hook: a JSON 404, not a redirect to follow."""
    for path in ("/hooks/open/", "/hooks/0/", "/hooks/a/b"):
        response = await client.post(path, json={})
        assert response.status_code == 404, path
        assert response.json() == {"error": "no such hook"}


async def test_oversize_with_content_length_is_413(client: httpx.AsyncClient, redis: Redis) -> None:
    """A declared Content-Length over the limit is refused with 413."""
    response = await client.post("/hooks/open", content=b"[" + b"1," * LIMIT + b"1]")
    assert response.status_code == 413
    assert f"{LIMIT} byte limit" in response.json()["error"]
    assert await stored_ids(redis) == []


async def test_oversize_chunked_without_content_length_is_413(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """A chunked body with no Content-Length is cut off at the limit while streaming."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(LIMIT // 1000 + 2):
            yield b"1," * 500
        yield b"1]"

    response = await client.post(
        "/hooks/open", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert await stored_ids(redis) == []


def _raw_exchange(url: str, head: bytes, body: bytes = b"") -> bytes:
    """Send raw bytes on one connection and read the status line and headers back."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


async def test_huge_content_length_answers_before_any_body_is_sent(
    app_url: str, redis: Redis
) -> None:
    """Content-Length: 1 GB with no body sent: 413 comes back at once, nothing is read."""
    head = (
        b"POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000000\r\n\r\n"
    )
    answer = _raw_exchange(app_url, head)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert await stored_ids(redis) == []


async def test_lying_content_length_cannot_smuggle_a_big_body(app_url: str, redis: Redis) -> None:
    """A Content-Length smaller than what is sent: only the declared bytes are the body."""
    head = (
        b"POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10\r\n\r\n"
    )
    answer = _raw_exchange(app_url, head, b"[" + b"1," * LIMIT + b"1]")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert await stored_ids(redis) == []


async def test_bad_content_length_is_400(app_url: str) -> None:
    """A Content-Length that is not a number is refused, not a crash."""
    head = b"POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"
    assert _raw_exchange(app_url, head).startswith(b"HTTP/1.1 400")


async def test_redis_down_is_503_and_not_ready(
    rules_file: Path,
    watcher: RulesWatcher,
    serve: Callable[..., AbstractContextManager[str]],
) -> None:
    """With nothing listening on the Redis port: hooks 503 + Retry-After, /readyz 503."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(make_settings(rules_file), redis_url=dead, rules=watcher)
    with serve(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            body = b'{"a":1}'
            response = await client.post(
                "/hooks/github", content=body, headers=signing.github(body)
            )
            assert response.status_code == 503
            assert response.headers["retry-after"]
            assert "unavailable" in response.json()["error"]
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"]["ok"] is False
            assert (await client.get("/healthz")).status_code == 200
            metrics = await client.get("/metrics")
            assert "bridge_redis_up 0.0" in metrics.text
            assert 'outcome="unavailable"' in metrics.text
