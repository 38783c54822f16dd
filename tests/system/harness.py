"""The system under test as users run it: `bridge web`, `bridge worker`, `bridge poller`.

    system = BridgeSystem(tmp_path, redis_url, rules_file)
    web = system.start_web()                 # waits for /readyz
    await system.worker_ready(redis)         # starts a worker, waits for its first poll
    accepted = await send_stream(web_url, range(300), rate=50)   # key -> event id

Every process gets the same `BRIDGE_*` environment (Redis, rules, private targets allowed,
short intervals) plus whatever a test adds; logs go to files under the test's tmp dir and
their tails are printed when the system is torn down (pytest shows them on failure).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bridge.constants import QUEUE_NAME
from bridge.loopback.processes import BridgeProcess, wait_http
from bridge.loopback.receiver import Delivery
from bridge.loopback.servers import free_port

logger = logging.getLogger("bridge.tests.system.harness")

#: Written by arq on a worker's first poll of the queue.
HEALTH_KEY = QUEUE_NAME + ":health-check"
#: The hook every system test posts to; `none` verification, dedupe on `webhook-id`.
HOOK = "load"


def write_rules(path: Path, text: str) -> None:
    """Replace a rules file atomically, so a watcher never reads half of it."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def webhook_rule(
    name: str,
    url: str,
    *,
    on: str = f"webhook.{HOOK}",
    retry: str = "",
    key: str = "event.data.seq",
) -> str:
    """YAML of one rule posting `{"seq": <key>}` of the event to `url`."""
    retry_line = f"\n        retry: {retry}" if retry else ""
    return f"""
  - name: {name}
    on: {on}
    do:
      - webhook:
          url: {url}
          body: {{seq: "{{{{ {key} }}}}", rule: {name}}}{retry_line}
"""


def rules_text(*rules: str) -> str:
    """A rules file: the `load` hook plus the given rules."""
    return f"hooks:\n  - name: {HOOK}\n    verify: none\nrules:{''.join(rules)}"


def seq_of(delivery: Delivery) -> str | None:
    """The key a `webhook_rule` delivery carries."""
    try:
        return str(json.loads(delivery.body)["seq"])
    except (ValueError, KeyError, TypeError):
        return None


class BridgeSystem:
    """Starts and tears down the bridge's processes for one test."""

    def __init__(self, root: Path, redis_url: str, rules: Path, **env: str) -> None:
        self.root = root
        self.port = free_port()
        self.env = {
            "BRIDGE_REDIS_URL": redis_url,
            "BRIDGE_RULES": str(rules),
            "BRIDGE_DATA_DIR": str(root / "data"),
            "BRIDGE_ALLOW_PRIVATE_TARGETS": "true",
            "BRIDGE_PORT": str(self.port),
            "BRIDGE_LOG_LEVEL": "WARNING",
            **env,
        }
        self.processes: list[BridgeProcess] = []

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def process(self, *args: str, name: str, **env: str) -> BridgeProcess:
        """A bridge process (not started) that the teardown will stop."""
        log = self.root / f"{name}.log"
        process = BridgeProcess(*args, env={**self.env, **env}, log_path=log, cwd=self.root)
        self.processes.append(process)
        return process

    def start_web(self) -> BridgeProcess:
        web = self.process("web", name="web").start()
        wait_http(self.web_url + "/readyz", timeout=30, process=web)
        return web

    def start_worker(self, name: str = "worker") -> BridgeProcess:
        return self.process("worker", name=name).start()

    async def worker_ready(
        self, redis: Redis, worker: BridgeProcess | None = None
    ) -> BridgeProcess:
        """Start a worker (a new one, or `worker` again) and wait until arq polls the queue.

        arq writes its health-check key on its first poll; the key is deleted first, so
        its return means this start is up (a slow start under load takes seconds).
        """
        await redis.delete(HEALTH_KEY)
        worker = (worker or self.process("worker", name="worker")).start()
        deadline = time.monotonic() + 60
        while not await redis.exists(HEALTH_KEY):
            if not worker.alive or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + worker.log()[-3000:])
            await asyncio.sleep(0.1)
        return worker

    def start_poller(self, **env: str) -> BridgeProcess:
        return self.process("poller", name="poller", **env).start()

    def teardown(self) -> None:
        """Stop everything still running; print each log's tail for a failing test."""
        for process in self.processes:
            process.stop(timeout=10)
        for process in self.processes:
            tail = process.log()[-2000:]
            if tail.strip():
                print(f"--- {process.log_path.name} ---\n{tail}")


async def post_event(client: httpx.AsyncClient, url: str, key: str, *, deadline: float) -> str:
    """POST one event as a sender would: retry on 503 and connection errors; its event id."""
    body = {"seq": key}
    headers = {"webhook-id": f"evt-{key}"}
    while True:
        try:
            response = await client.post(url, json=body, headers=headers)
            if response.status_code in (200, 202):
                event_id: str = response.json()["event_id"]
                return event_id
            logger.info("event %s: %s, sending again", key, response.status_code)
        except httpx.HTTPError as exc:
            logger.info("event %s: %s, sending again", key, exc)
        if time.monotonic() > deadline:
            raise TimeoutError(f"event {key} was never accepted")
        await asyncio.sleep(0.2)


async def send_stream(
    web_url: str,
    keys: Iterable[object],
    *,
    rate: float | None = None,
    concurrency: int = 20,
    within: float = 60.0,
) -> dict[str, str]:
    """Send one event per key (at `rate` per second, or as fast as allowed); key -> event id."""
    url = f"{web_url}/hooks/{HOOK}"
    deadline = time.monotonic() + within
    accepted: dict[str, str] = {}
    gate = asyncio.Semaphore(concurrency)
    start = time.monotonic()

    async def one(client: httpx.AsyncClient, key: str) -> None:
        async with gate:
            accepted[key] = await post_event(client, url, key, deadline=deadline)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client, asyncio.TaskGroup() as tg:
        for n, key in enumerate(keys):
            if rate is not None:
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            tg.create_task(one(client, str(key)))
    return accepted
