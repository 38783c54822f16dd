"""GET /metrics: Prometheus text for the inbound endpoint and the state kept in Redis.

Each app owns a `WebMetrics` with its own `CollectorRegistry` (never the global one), so
several apps in one process (tests, `bridge up`) do not clash. Request counts and latency
are counted in-process; the queue depth, worker counters (`constants.STATS`, written by
the workers), dead-letter size, poller lag and rules errors are read at scrape time, so
any web replica reports the same shared numbers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from bridge import constants

logger = logging.getLogger("bridge.web.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_READ_TIMEOUT = 2.0


def _number(raw: Any) -> float | None:
    try:
        return float(raw.decode() if isinstance(raw, bytes) else raw)
    except (TypeError, ValueError):
        return None


def _text(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


@dataclass
class Snapshot:
    """The shared numbers read from Redis at the last scrape."""

    redis_up: bool = False
    queue_depth: float = 0.0
    dlq_size: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)
    #: resource -> (state, lag in seconds or None)
    pollers: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    rules_errors: int = 0


class _SnapshotCollector(Collector):
    """Exposes the last `Snapshot` as metric families."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        yield GaugeMetricFamily("bridge_redis_up", "Redis answered the scrape", int(snap.redis_up))
        yield GaugeMetricFamily(
            "bridge_queue_depth", "Jobs waiting in the arq queue", snap.queue_depth
        )
        yield GaugeMetricFamily(
            "bridge_dlq_size", "Letters in the dead-letter queue", snap.dlq_size
        )
        yield CounterMetricFamily(
            "bridge_step_retries", "Step retries scheduled by workers", snap.stats.get("retries", 0)
        )
        yield CounterMetricFamily(
            "bridge_dead_letters", "Runs sent to the DLQ", snap.stats.get("dead_letters", 0)
        )
        worker = CounterMetricFamily(
            "bridge_worker_stat", "Every worker counter of the stats hash", labels=["name"]
        )
        for name, value in sorted(snap.stats.items()):
            worker.add_metric([name], value)
        yield worker
        duplicates = CounterMetricFamily(
            "bridge_trigger_duplicates",
            "Perfex changes that arrived a second time (push after poll, or poll after push)",
            labels=["source"],
        )
        for source in ("push", "poll"):
            duplicates.add_metric([source], snap.stats.get("trigger_duplicates_" + source, 0))
        yield duplicates
        lag = GaugeMetricFamily(
            "bridge_poller_lag_seconds",
            "Seconds since a poller last succeeded",
            labels=["resource"],
        )
        state = GaugeMetricFamily(
            "bridge_poller_state", "1 for each poller's current state", labels=["resource", "state"]
        )
        for resource, (current, seconds) in sorted(snap.pollers.items()):
            if seconds is not None:
                lag.add_metric([resource], seconds)
            state.add_metric([resource, current], 1)
        yield lag
        yield state
        yield GaugeMetricFamily(
            "bridge_rules_load_errors", "Problems in the rules files", snap.rules_errors
        )


class WebMetrics:
    """The app's registry and the instruments the inbound endpoint updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "bridge_webhook_requests",
            "Inbound webhook requests by hook and outcome",
            ["hook", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bridge_webhook_request_seconds",
            "Time to answer an inbound webhook",
            ["hook"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_stored = Counter(
            "bridge_webhook_events_stored",
            "Events stored from inbound webhooks",
            ["hook"],
            registry=self.registry,
        )
        self._collector = _SnapshotCollector()
        self.registry.register(self._collector)
        # The labelled children by label values, looked up once: `labels()` validates and
        # locks on every call. Bounded like the labels (hooks of the rules, outcomes).
        self._answered: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._stored: dict[str, Any] = {}

    def observe(self, hook: str, outcome: str, seconds: float) -> None:
        """Count one answered request."""
        children = self._answered.get((hook, outcome))
        if children is None:
            children = (self.requests.labels(hook, outcome), self.latency.labels(hook))
            self._answered[(hook, outcome)] = children
        children[0].inc()
        children[1].observe(seconds)

    def stored(self, hook: str) -> None:
        """Count one event stored from a webhook of `hook`."""
        child = self._stored.get(hook)
        if child is None:
            child = self._stored[hook] = self.events_stored.labels(hook)
        child.inc()

    async def refresh(self, redis: Redis, rules_errors: int) -> None:
        """Read the shared numbers from Redis; a failure leaves `bridge_redis_up` at 0."""
        snap = Snapshot(rules_errors=rules_errors)
        try:
            await asyncio.wait_for(_read(redis, snap), _READ_TIMEOUT)
            snap.redis_up = True
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("metrics: Redis unavailable: %s", type(exc).__name__)
            snap = Snapshot(rules_errors=rules_errors)
        self._collector.snapshot = snap

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def _read(redis: Redis, snap: Snapshot) -> None:
    pipe = redis.pipeline(transaction=False)
    pipe.zcard(constants.QUEUE_NAME)
    pipe.zcard(constants.DLQ_INDEX)
    pipe.hgetall(constants.STATS)
    queue, dlq, stats = await pipe.execute()
    snap.queue_depth, snap.dlq_size = float(queue), float(dlq)
    snap.stats = {_text(k): value for k, v in stats.items() if (value := _number(v)) is not None}
    keys = [key async for key in redis.scan_iter(match=constants.POLLER_STATUS + "*", count=100)]
    now = time.time()
    for key in keys:
        raw = await redis.hgetall(key)  # type: ignore[misc]
        fields = {_text(k): _text(v) for k, v in raw.items()}
        resource = _text(key).removeprefix(constants.POLLER_STATUS)
        lag = _number(fields.get("lag_seconds"))
        last = _number(fields.get("last_success"))
        if lag is None and last is not None:
            lag = max(0.0, now - last)
        snap.pollers[resource] = (fields.get("state", "unknown"), lag)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format."""
    metrics: WebMetrics = request.app.state.metrics
    watcher = getattr(request.app.state, "rules", None)
    errors = len(getattr(watcher, "errors", None) or [])
    await metrics.refresh(request.app.state.redis, errors)
    return Response(metrics.render(), media_type=CONTENT_TYPE)
