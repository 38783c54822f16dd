"""The `webhook:` action's HTTP client (aiohttp): timeouts, bounded reads, headers, bad hosts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from standardwebhooks import Webhook

from bridge.exceptions import DeliveryError, TargetRefused
from bridge.executor import ssrf, webhook

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MA=="


async def _serve(
    handler: object,
) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@pytest.fixture
async def silent() -> AsyncIterator[int]:
    """A TCP server that accepts and reads but never answers."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.read(65536):
                pass
        finally:
            writer.close()

    async for port in _serve(handle):
        yield port


@pytest.fixture
async def flood() -> AsyncIterator[tuple[int, list[int]]]:
    """An HTTP server answering 200 with an endless chunked body; counts bytes it sent."""
    sent: list[int] = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        try:
            while sent[0] < 64 * 1024 * 1024:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent[0] += len(chunk)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async for port in _serve(handle):
        yield port, sent


@pytest.fixture
async def echo() -> AsyncIterator[tuple[int, list[bytes]]]:
    """An HTTP server that records each raw request and answers 429 with Retry-After."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        seen.append(head + await reader.readexactly(length))
        writer.write(b"HTTP/1.1 429 Too Many\r\nretry-after: 7\r\ncontent-length: 4\r\n\r\nslow")
        await writer.drain()
        writer.close()

    async for port in _serve(handle):
        yield port, seen


async def test_a_receiver_that_never_answers_times_out_retryably(silent: int) -> None:
    """No answer within the step's timeout is a retryable DeliveryError, on time."""
    started = time.monotonic()
    async with webhook.make_client(allow_private=True) as client:
        with pytest.raises(DeliveryError, match="timed out") as caught:
            await webhook.deliver(
                client,
                url=f"http://127.0.0.1:{silent}/x",
                body={},
                msg_id="m",
                timeout=0.5,
                allow_private=True,
            )
    assert caught.value.retryable
    assert time.monotonic() - started < 5


async def test_an_endless_answer_is_read_only_to_the_bound(flood: tuple[int, list[int]]) -> None:
    """An endless body yields exactly MAX_RESPONSE_BYTES and the rest is never read."""
    port, sent = flood
    async with webhook.make_client(allow_private=True) as client:
        response = await webhook.deliver(
            client,
            url=f"http://127.0.0.1:{port}/x",
            body={},
            msg_id="m",
            timeout=10,
            allow_private=True,
        )
    assert response.status == 200
    assert response.content == b"x" * webhook.MAX_RESPONSE_BYTES
    await asyncio.sleep(0.2)
    assert sent[0] < 16 * 1024 * 1024  # the connection was closed, not drained


async def test_signed_request_keeps_host_and_retry_after(echo: tuple[int, list[bytes]]) -> None:
    """The request carries the URL's Host, a valid Standard Webhooks signature; 429's
    Retry-After is parsed."""
    port, seen = echo
    async with webhook.make_client(allow_private=True) as client:
        response = await webhook.deliver(
            client,
            url=f"http://localhost:{port}/hook",
            body={"a": 1},
            msg_id="msg_1",
            secret=SECRET,
            allow_private=True,
        )
    assert response.status == 429 and response.retry_after == 7.0
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hook HTTP/1.1"
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    assert headers["host"] == f"localhost:{port}"
    assert headers["user-agent"] == webhook.USER_AGENT
    assert Webhook(SECRET).verify(body, headers) == {"a": 1}
    failure = webhook.failure(response, "POST", "u")
    assert failure is not None and failure.retryable and failure.retry_after == 7.0


@pytest.mark.parametrize("host", ["2130706433", "127.1"])
async def test_legacy_numeric_hosts_are_refused_without_retry(host: str) -> None:
    """127.1 and 2130706433 (forms of 127.0.0.1) are never sent to and never retried."""
    async with webhook.make_client(allow_private=False) as client:
        with pytest.raises(DeliveryError) as caught:
            await webhook.deliver(client, url=f"http://{host}:9/x", body={}, msg_id="m")
    assert not caught.value.retryable


async def test_resolver_checks_every_address_of_a_name() -> None:
    """The guard's resolver refuses a name that resolves to a loopback address."""
    with pytest.raises(TargetRefused, match=r"127\.0\.0\.1|::1"):
        await ssrf.GuardedResolver().resolve("localhost", 80, family=0)  # type: ignore[arg-type]
