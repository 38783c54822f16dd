"""The SSRF guard: private, loopback and metadata targets are refused and never retried."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from redis.asyncio import Redis

from bridge.exceptions import TargetRefused
from bridge.executor import dlq, history, ssrf, webhook
from bridge.settings import Settings, load_settings
from tests.executor.conftest import WorkerFactory
from tests.executor.helpers import Receiver, rules_from, run_status, store_event, wait_for

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "0.1.2.3",
    "240.0.0.1",
    "255.255.255.255",
    "224.0.0.1",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:8.8.8.8",
    "64:ff9b::a00:1",
    "2001:db8::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_blocked(address: str) -> None:
    """Every loopback, private, link-local, reserved and mapped form has a reason."""
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    """Ordinary public addresses are allowed."""
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "ftp://example.com/file",
        "file:///etc/passwd",
    ],
)
async def test_refused_urls_raise_before_sending(url: str) -> None:
    """IP literals that are not public, and non-http schemes, are refused up front."""
    async with webhook.make_client(allow_private=False) as client:
        with pytest.raises(TargetRefused):
            await webhook.deliver(client, url=url, body={}, msg_id="m")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_loopback_refused_when_private_targets_are_off(
    host: str, receiver: tuple[Receiver, str]
) -> None:
    """A loopback receiver, by IP or by a name that resolves to it, gets no request."""
    app, url = receiver
    port = httpx.URL(url).port
    async with webhook.make_client(allow_private=False) as client:
        with pytest.raises(TargetRefused, match="refused"):
            await webhook.deliver(client, url=f"http://{host}:{port}/x", body={}, msg_id="m")
    assert app.received == []


async def test_loopback_reachable_when_allowed(receiver: tuple[Receiver, str]) -> None:
    """With allow_private_targets the same loopback URL is delivered to."""
    app, url = receiver
    port = httpx.URL(url).port
    async with webhook.make_client(allow_private=True) as client:
        response = await webhook.deliver(
            client, url=f"http://localhost:{port}/x", body={}, msg_id="m", allow_private=True
        )
    assert response.status == 200 and len(app.received) == 1


async def test_refused_target_fails_the_run_without_retry(
    redis: Redis, redis_url: str, worker: WorkerFactory, receiver: tuple[Receiver, str]
) -> None:
    """A step to 169.254.169.254 or loopback fails after one attempt and is dead-lettered."""
    app, url = receiver
    settings: Settings = load_settings(redis_url=redis_url, rules="/nonexistent")
    rules = f"""
rules:
  - name: meta
    on: perfex.leads.created
    do:
      - webhook: {{url: "http://169.254.169.254/latest/meta-data/"}}
        retry: {{attempts: 5, backoff: 0.05}}
  - name: local
    on: perfex.leads.created
    do:
      - webhook: {{url: "{url}/x"}}
        retry: {{attempts: 5, backoff: 0.05}}
"""
    async with worker(settings, rules_from(rules)):
        await store_event(redis, "s1")
        for rule in ("meta", "local"):
            await wait_for(lambda r=rule: _failed(redis, f"s1:{r}"))  # type: ignore[misc]
    assert app.received == []
    run = await history.get_run(redis, "s1:meta")
    assert run is not None and len(run["attempts"]) == 1
    assert "metadata" in run["attempts"][0]["error"]
    assert await dlq.count(redis) == 2


async def _failed(redis: Redis, run_id: str) -> bool:
    return await run_status(redis, run_id) == "failed"


@pytest.mark.parametrize(
    ("address", "words"),
    [("::1", "IPv6 loopback"), ("::", "unspecified"), ("::ffff:127.0.0.1", "IPv4-mapped")],
)
def test_ipv6_reasons_name_what_the_address_is(address: str, words: str) -> None:
    """::1 is reported as the IPv6 loopback (not "IPv4-mapped"); a mapped form as mapped."""
    reason = ssrf.blocked_reason(ipaddress.ip_address(address))
    assert reason is not None and words in reason
    if address in ("::1", "::"):
        assert "IPv4" not in reason
