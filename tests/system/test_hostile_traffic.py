"""Hostile traffic mixed with normal signed webhooks against a real `bridge web` process.

The attackers connect from other loopback addresses (127.0.0.2-4) than the normal sender
(127.0.0.1), as a flood and GitHub do not share an address.

For ATTACK_SECONDS, while a sender posts GitHub-signed webhooks at a steady rate:
slow clients (headers and bodies dripped a byte at a time, hundreds at once, more than
the connection cap), oversized headers (too large, too many, one streamed 8 MB value),
poisoned bodies (lone surrogates, 1e400, deep nesting) and replays of the accepted
deliveries with new, missing or relabelled unsigned headers. Afterwards: every normal
request was accepted at its first try, every acknowledged event delivered exactly once,
no replay or poisoned body stored anything, the web process's memory and descriptors
stayed bounded and its log stayed small and free of tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bridge.constants import EVENT_KEY
from bridge.loopback.processes import BridgeProcess
from tests.system.conftest import Receiver
from tests.system.harness import BridgeSystem, seq_of, webhook_rule
from tests.system.ledger import settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(180)]

ATTACK_SECONDS = 20.0
NORMAL_RATE = 10.0
SLOW_CLIENTS = 260
SLOW_BODIES = 40
MAX_CONNECTIONS = 200
SECRET = "hostile-test-github-secret"
POISON = [
    b'{"seq": "p", "t": "\\ud800"}',
    b'{"seq": "p", "n": 1e400}',
    b'{"a":' * 900 + b"1" + b"}" * 900,
    b'{"a":' * 65 + b"1" + b"}" * 65,
]

RULES = f"""
hooks:
  - name: gh
    verify: github
    secret: {SECRET}
    event: "{{{{ 'issues' if body.issue is defined }}}}"
  - name: load
    verify: none
rules:{webhook_rule("hostile", "{url}/hostile", on="webhook.gh.issues")}
"""


def _signed(seq: int, delivery: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"seq": str(seq), "action": "opened", "issue": {"number": seq}}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }
    return body, headers


class Attack:
    """Shared state of one run: the stop flag, counters, what the sender got accepted."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.stop = asyncio.Event()
        self.counts: Counter[str] = Counter()
        self.accepted: dict[str, str] = {}
        self.captured: list[tuple[bytes, dict[str, str], str]] = []
        self.failures: list[str] = []

    async def connect(
        self, source: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection from loopback address `source` (attackers are not the sender)."""
        try:
            return await asyncio.open_connection(self.host, self.port, local_addr=(source, 0))
        except OSError:
            self.counts["connect failed"] += 1
            await asyncio.sleep(0.2)
            return None


async def _answer_or_close(reader: asyncio.StreamReader, wait: float) -> bytes | None:
    """What the server sent within `wait` s: bytes, b"" when it closed, None when silent."""
    try:
        return await asyncio.wait_for(reader.read(4096), wait)
    except TimeoutError:
        return None
    except OSError:
        return b""


async def normal_sender(attack: Attack, url: str) -> None:
    """GitHub-signed deliveries at NORMAL_RATE, each on a new connection, each must be 202."""
    seq = 0
    started = time.monotonic()
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        while not attack.stop.is_set():
            body, headers = _signed(seq, f"delivery-{seq}")
            try:
                response = await client.post(f"{url}/hooks/gh", content=body, headers=headers)
                if response.status_code == 202:
                    event_id = response.json()["event_id"]
                    attack.accepted[str(seq)] = event_id
                    attack.captured.append((body, headers, event_id))
                else:
                    attack.failures.append(f"normal {seq}: {response.status_code} {response.text}")
            except httpx.HTTPError as exc:
                attack.failures.append(f"normal {seq}: {exc!r}")
            seq += 1
            await asyncio.sleep(max(0.0, started + seq / NORMAL_RATE - time.monotonic()))


async def slow_headers(attack: Attack) -> None:
    """A client dripping one header line a second, reconnecting whenever it is cut off."""
    while not attack.stop.is_set():
        pair = await attack.connect("127.0.0.2")
        if pair is None:
            continue
        reader, writer = pair
        attack.counts["slow header connections"] += 1
        try:
            writer.write(b"POST /hooks/gh HTTP/1.1\r\nHost: x\r\n")
            while not attack.stop.is_set():
                got = await _answer_or_close(reader, 1.0)
                if got is not None:
                    attack.counts["slow header cut: " + (got[:12].decode() or "closed")] += 1
                    break
                writer.write(b"X-Drip: 1\r\n")
                await writer.drain()
        except OSError:
            attack.counts["slow header cut: reset"] += 1
        finally:
            writer.close()
        await asyncio.sleep(0.2)  # a bounded attacker: at most 5 reconnects a second each


async def slow_body(attack: Attack) -> None:
    """A client sending its headers, then a byte of its body a second."""
    while not attack.stop.is_set():
        pair = await attack.connect("127.0.0.3")
        if pair is None:
            continue
        reader, writer = pair
        try:
            writer.write(
                b"POST /hooks/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10000\r\n\r\n{"
            )
            while not attack.stop.is_set():
                got = await _answer_or_close(reader, 1.0)
                if got is not None:
                    attack.counts["slow body cut: " + (got[:12].decode() or "closed")] += 1
                    break
                writer.write(b" ")
                await writer.drain()
        except OSError:
            attack.counts["slow body cut: reset"] += 1
        finally:
            writer.close()
        await asyncio.sleep(0.2)


async def oversized_headers(attack: Attack) -> None:
    """Too large, too many, and one 8 MB streamed header, in turn: each must be cut off."""
    variants = [
        b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40)),
        b"".join(b"X-H%d: 1\r\n" % i for i in range(150)),
    ]
    turn = 0
    while not attack.stop.is_set():
        pair = await attack.connect("127.0.0.4")
        if pair is None:
            continue
        reader, writer = pair
        sent = 0
        try:
            writer.write(b"POST /hooks/gh HTTP/1.1\r\nHost: x\r\n")
            if turn % 3 < 2:
                writer.write(variants[turn % 3] + b"Content-Length: 2\r\n\r\n{}")
                await writer.drain()
            else:
                writer.write(b"X-Big: ")
                while sent < 8 * 1024 * 1024 and not reader.at_eof():
                    writer.write(b"a" * 65536)
                    await writer.drain()
                    sent += 65536
            got = await _answer_or_close(reader, 5.0)
            status = (got or b"")[:12].decode(errors="replace")
            attack.counts["oversized answered: " + (status or "closed")] += 1
            if status and not status.startswith("HTTP/1.1 431"):
                attack.failures.append(f"oversized headers answered {status!r}")
        except OSError:
            attack.counts["oversized answered: reset"] += 1
        finally:
            writer.close()
        if sent >= 8 * 1024 * 1024:
            attack.failures.append("an 8 MB header was read to the end")
        turn += 1
        await asyncio.sleep(0.1)


async def poisoner(attack: Attack, url: str) -> None:
    """Bodies that parse but would poison the store: each must be refused with 400."""
    async with httpx.AsyncClient(timeout=10) as client:
        turn = 0
        while not attack.stop.is_set():
            body = POISON[turn % len(POISON)]
            response = await client.post(
                f"{url}/hooks/load", content=body, headers={"content-type": "application/json"}
            )
            attack.counts[f"poison answered {response.status_code}"] += 1
            if response.status_code != 400:
                attack.failures.append(f"poison {turn} answered {response.status_code}")
            turn += 1
            await asyncio.sleep(0.1)


async def replayer(attack: Attack, url: str) -> None:
    """Accepted deliveries re-sent with a new, missing or relabelled unsigned header."""
    async with httpx.AsyncClient(timeout=10) as client:
        turn = 0
        while not attack.stop.is_set():
            if not attack.captured:
                await asyncio.sleep(0.1)
                continue
            body, headers, event_id = attack.captured[turn % len(attack.captured)]
            changed = dict(headers)
            if turn % 3 == 0:
                changed["X-GitHub-Delivery"] = f"replay-{turn}"
            elif turn % 3 == 1:
                del changed["X-GitHub-Delivery"]
            else:
                changed["X-GitHub-Event"] = "push"
            response = await client.post(f"{url}/hooks/gh", content=body, headers=changed)
            attack.counts[f"replay answered {response.status_code}"] += 1
            if response.status_code != 200 or response.json().get("event_id") != event_id:
                attack.failures.append(f"replay {turn}: {response.status_code} {response.text}")
            turn += 1
            await asyncio.sleep(0.1)


async def watch(attack: Attack, web: BridgeProcess, samples: dict[str, list[int]]) -> None:
    """The web process's RSS and open descriptors, twice a second."""
    while not attack.stop.is_set():
        pid = web.pid
        if pid is not None:
            samples["rss"].append(web.rss_bytes() or 0)
            with contextlib.suppress(OSError):
                samples["fds"].append(len(os.listdir(f"/proc/{pid}/fd")))
        await asyncio.sleep(0.5)


async def test_hostile_traffic_leaves_normal_traffic_whole(
    tmp_path: Path,
    system: Callable[..., BridgeSystem],
    receivers: Callable[[], Receiver],
    store: Redis,
) -> None:
    """Normal signed webhooks all accepted and delivered once while the web is attacked;
    its memory, descriptors and log stay bounded."""
    url, receiver = receivers()
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES.replace("{url}", url))
    bridge = system(
        rules,
        BRIDGE_HEADER_TIMEOUT="2",
        BRIDGE_BODY_TIMEOUT="3",
        BRIDGE_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    )
    web = bridge.start_web()
    await bridge.worker_ready(store)
    baseline = web.rss_bytes() or 0

    attack = Attack("127.0.0.1", bridge.port)
    samples: dict[str, list[int]] = {"rss": [], "fds": []}
    tasks: list[asyncio.Task[Any]] = [
        asyncio.create_task(normal_sender(attack, bridge.web_url)),
        asyncio.create_task(oversized_headers(attack)),
        asyncio.create_task(poisoner(attack, bridge.web_url)),
        asyncio.create_task(replayer(attack, bridge.web_url)),
        asyncio.create_task(watch(attack, web, samples)),
    ]
    for n in range(SLOW_CLIENTS):
        tasks.append(asyncio.create_task(slow_headers(attack)))
        if n < SLOW_BODIES:
            tasks.append(asyncio.create_task(slow_body(attack)))
        if n % 20 == 0:
            await asyncio.sleep(0.05)
    await asyncio.sleep(ATTACK_SECONDS)
    attack.stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 30)

    print("attack:", dict(sorted(attack.counts.items())))
    peak_rss = max(samples["rss"])
    print(f"web RSS {baseline / 2**20:.0f} MiB at start, peak {peak_rss / 2**20:.0f} MiB;")
    print(f"open descriptors peak {max(samples['fds'])}; normal accepted {len(attack.accepted)}")
    assert attack.failures == [], attack.failures[:10]
    assert len(attack.accepted) >= NORMAL_RATE * ATTACK_SECONDS * 0.8
    assert attack.counts["slow header connections"] > SLOW_CLIENTS  # cut off and back
    assert sum(v for k, v in attack.counts.items() if k.startswith("replay answered")) > 50

    ledger = await settle(store, attack.accepted, lambda: receiver.deliveries, seq_of, within=60)
    ledger.assert_balanced(duplicates_allowed=False)
    assert len(ledger.once) == len(attack.accepted)
    stored = [key async for key in store.scan_iter(match=EVENT_KEY + "*", count=500)]
    assert len(stored) == len(attack.accepted), "a replay or a poisoned body was stored"

    assert peak_rss < baseline + 100 * 2**20, f"web RSS grew to {peak_rss / 2**20:.0f} MiB"
    assert max(samples["fds"]) < MAX_CONNECTIONS + 100
    log = web.log()
    print(f"web log: {len(log)} bytes\n{log[-1500:]}")
    assert len(log) < 20_000
    assert "Traceback" not in log
    assert "Too many open files" not in log
