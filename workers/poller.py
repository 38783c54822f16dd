"""The poller process: `bridge poller`, or `python -m workers.poller`.

Starts Redis (the embedded Valkey when BRIDGE_REDIS_URL is unset), runs the PollerService
until SIGTERM or SIGINT, releases its locks so a standby takes over at once, returns 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bridge.connection import redis_client, redis_server
from bridge.exceptions import BridgeError
from bridge.poller.runner import Timing
from bridge.poller.service import PollerService
from bridge.redaction import install_log_redaction
from bridge.settings import Settings, load_settings

logger = logging.getLogger("bridge.poller.process")


async def _serve(
    settings: Settings, url: str, backfill: float | None, timing: Timing | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    redis = redis_client(url)
    try:
        await PollerService(settings, redis, backfill=backfill, timing=timing).run(stop)
    finally:
        await redis.aclose()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def run_poller(
    settings: Settings, backfill: float | None = None, *, timing: Timing | None = None
) -> int:
    """Run the poller until SIGTERM/SIGINT (blocking); 0 on a clean stop."""
    settings.require_perfex()
    with redis_server(settings) as url:
        asyncio.run(_serve(settings, url, backfill, timing))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m workers.poller [--backfill SECONDS] [--lock-ttl SECONDS]`."""
    parser = argparse.ArgumentParser(prog="workers.poller", description=__doc__)
    parser.add_argument(
        "--backfill",
        type=float,
        default=None,
        help="on first start, fire events for the records of this many seconds",
    )
    parser.add_argument(
        "--lock-ttl",
        type=float,
        default=None,
        help="seconds a dead poller's lock outlives it (default 1.5 intervals)",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        token = settings.perfex_token
        install_log_redaction([token.get_secret_value()] if token is not None else [])
        timing = None
        if args.lock_ttl is not None:
            timing = Timing(settings.poll_interval, settings.reconcile_interval, args.lock_ttl)
        return run_poller(settings, args.backfill, timing=timing)
    except BridgeError as exc:
        print(f"bridge poller: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
