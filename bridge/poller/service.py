"""PollerService: every configured resource's loop, inside whatever event loop runs it.

`bridge up` runs it next to the web part and the worker (`await service.run(stop)`);
`workers.poller.run_poller` runs it alone. Intervals come from the settings and can be
overridden, so tests poll every fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from bridge.events import EventStore
from bridge.perfex.client import PerfexClient
from bridge.poller.created import DEFAULT_LIMITS, PollJob
from bridge.poller.runner import Timing, run_resource
from bridge.poller.source import PerfexSource
from bridge.settings import Settings

logger = logging.getLogger("bridge.poller.service")


def default_timing(settings: Settings) -> Timing:
    """The intervals of design.md: lock TTL 1.5 polls, so a standby takes over within two."""
    return Timing(
        poll_interval=settings.poll_interval,
        reconcile_interval=settings.reconcile_interval,
        lock_ttl=max(1.0, 1.5 * settings.poll_interval),
    )


class PollerService:
    """Polls `settings.poll_resources` of one Perfex install into the event store."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        *,
        timing: Timing | None = None,
        backfill: float | None = None,
        overlap: float = 60.0,
        limits: tuple[int, ...] = DEFAULT_LIMITS,
        client: PerfexClient | None = None,
    ) -> None:
        url, token = settings.require_perfex()
        self.settings = settings
        self.redis = redis
        self.timing = timing or default_timing(settings)
        self.backfill = backfill
        self.overlap = overlap
        self.limits = limits
        self._client = client
        self._own_client = client is None
        self._url, self._token = url, token

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; locks are released before it returns."""
        client = self._client or PerfexClient(self._url, self._token)
        store = EventStore(self.redis, int(self.settings.retention_days * 86400))
        source = PerfexSource(client)
        jobs = [
            PollJob(
                redis=self.redis,
                store=store,
                source=source,
                resource=resource,
                overlap=self.overlap,
                limits=self.limits,
                backfill=self.backfill,
            )
            for resource in self.settings.poll_resources
        ]
        logger.info(
            "polling %s every %.1fs (reconcile every %.0fs)",
            ",".join(self.settings.poll_resources),
            self.timing.poll_interval,
            self.timing.reconcile_interval,
        )
        try:
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(run_resource(job, self.timing, stop), name=job.resource)
        finally:
            if self._own_client:
                await client.aclose()
        logger.info("poller stopped")
