"""Where Redis is: BRIDGE_REDIS_URL when set, else the embedded Valkey of the data dir."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import Redis

from bridge.embedded_valkey import EmbeddedValkey
from bridge.settings import Settings


@contextmanager
def redis_server(settings: Settings) -> Iterator[str]:
    """Yield a Redis URL for the life of the block, starting the embedded Valkey if needed."""
    if settings.redis_url:
        yield settings.redis_url
        return
    with EmbeddedValkey(settings.data_dir) as url:
        yield url


def redis_client(url: str) -> Redis:
    """An asyncio client with the timeouts the bridge relies on to notice a dead server."""
    client: Redis = Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
    )
    return client
