"""The SSRF guard for outbound webhooks: only public addresses, checked where we connect.

How (as Svix does it): only http(s) URLs; an IP literal in the URL is checked before any
request; a host name is resolved by `GuardedResolver`, the resolver of the worker's shared
aiohttp session, *every* resolved address is checked (IPv4-mapped IPv6 normalised first)
and aiohttp connects to the checked addresses themselves (it connects to what its resolver
returns). The URL keeps its host name, so the Host header and TLS SNI/certificate checks
are the real ones, and DNS rebinding cannot swap the address between check and connect:
there is one lookup per new connection (the session's DNS cache is off).
`GuardedBackend` does the same for an httpx client (httpcore's network backend).

Refused: loopback, private (10/8, 172.16/12, 192.168/16), link-local and metadata
(169.254/16), CGNAT 100.64/10, 0/8, 240/4, multicast, broadcast, documentation and
benchmarking ranges, IPv6 ULA fc00::/7, link-local fe80::/10, site-local, NAT64
64:ff9b::/96 and IPv4-mapped/compatible forms of any of the above.
With `allow_private_targets` the backend connects anywhere (tests, trusted LANs).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable

import httpcore
from aiohttp.abc import AbstractResolver, ResolveResult
from httpcore import AsyncNetworkStream
from httpcore._backends.auto import AutoBackend

from bridge.exceptions import TargetRefused

logger = logging.getLogger("bridge.executor.ssrf")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_BLOCKED_V4 = [
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
    )
]
_BLOCKED_V6 = [
    ipaddress.IPv6Network(net)
    for net in (
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a mapped, compatible or NAT64 IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    packed = address.packed
    if packed[:12] == bytes(12) and packed[12:] != bytes(4):  # ::a.b.c.d (deprecated form)
        return ipaddress.IPv4Address(packed[12:])
    if address in _BLOCKED_V6[3]:  # 64:ff9b::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why an address must not be reached, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_loopback:
            return "the IPv6 loopback address"
        if address.is_unspecified:
            return "the IPv6 unspecified address"
        inner = _embedded_v4(address)
        if inner is not None:
            return f"an IPv4-mapped, IPv4-compatible or NAT64 form of {inner}"
        if any(address in net for net in _BLOCKED_V6):
            return "a private, link-local or reserved IPv6 address"
        if not address.is_global:
            return "a non-global IPv6 address"
        return None
    if address == ipaddress.IPv4Address("169.254.169.254"):
        return "the cloud metadata address"
    if any(address in net for net in _BLOCKED_V4):
        return "a private, loopback, link-local or reserved address"
    if not address.is_global:
        return "a non-global address"
    return None


def check_addresses(host: str, addresses: Iterable[str]) -> list[str]:
    """The addresses unchanged if every one is public, else TargetRefused naming the host."""
    checked: list[str] = []
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = blocked_reason(address)
        if reason:
            raise TargetRefused(f"refused to connect to {host}: {address} is {reason}")
        checked.append(str(address))
    if not checked:
        raise TargetRefused(f"refused to connect to {host}: it does not resolve")
    return checked


def check_url(scheme: str, host: str, allow_private: bool) -> None:
    """Refuse a non-http(s) URL, and an IP literal host that is not public (before sending)."""
    if scheme not in ("http", "https"):
        raise TargetRefused(f"refused URL scheme {scheme!r}: only http and https are allowed")
    if not host:
        raise TargetRefused("refused URL without a host")
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    check_addresses(host, [str(literal)])


async def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (TCP), in resolver order."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(AutoBackend):
    """httpcore's network backend, resolving once and connecting only to checked addresses."""

    def __init__(self, allow_private: bool = False) -> None:
        super().__init__()
        self.allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> AsyncNetworkStream:
        if self.allow_private:
            return await super().connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = check_addresses(host, await resolve(host, port))
        return await super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver: one lookup, every address checked, only checked addresses returned.

    aiohttp connects to each result's `host` (the checked address) and keeps `hostname`
    (the URL's name) for the TLS server name and certificate check.
    """

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        addresses = check_addresses(host, dict.fromkeys(str(info[4][0]) for info in infos))
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release: lookups run on the loop's executor."""
