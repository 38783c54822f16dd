"""Limits every worker shares through Redis: concurrency, rate and a circuit breaker per target.

A target is `perfex` (the one small PHP server) or `host:<host>:<port>` of an outbound
webhook. One Lua script admits a request, atomically:

- circuit breaker (`bridge:breaker:<target>`): after `breaker_threshold` consecutive
  failures (network, timeout, 5xx) the target is open for `breaker_cooldown` seconds; jobs
  for it are *deferred*, not failed. Then one request may go as a half-open probe (others
  keep waiting); its success closes the breaker, its failure opens it again.
- concurrency: a sorted set of leases (`bridge:limit:sem:<target>`, score = expiry), so a
  slot held by a worker that died frees itself when the lease runs out. A live worker
  renews the leases it holds (`renew_slots`, with its job leases: executor/leases.py), so
  they can be short.
- rate: a token bucket (`bridge:limit:rate:<target>`) refilled at `rate` per second using
  the server's clock (`TIME`), so all workers agree.

Waiting for a limit is never an attempt: the runner waits briefly in-process and past that
re-enqueues the job for later without touching the step's attempt count.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bridge.executor import keys
from bridge.settings import Settings

logger = logging.getLogger("bridge.executor.limits")

Outcome = Literal["ok", "fail", "neutral"]

#: Consecutive failures (network, timeout, 5xx) that open a target's circuit, and the
#: seconds it then stays open: the workers' and the push path's defaults.
BREAKER_THRESHOLD = 10
BREAKER_COOLDOWN = 30.0

#: While a half-open probe is out, others look again this often (ms), not at its lease's
#: end: a probe that succeeds in milliseconds should free the queue in seconds.
PROBE_RECHECK_MS = 2000

_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local probe = 0
local state = redis.call('HMGET', KEYS[3], 'open_until', 'probe_until')
local open_until = tonumber(state[1])
if open_until then
  if now < open_until then return {2, open_until - now, 0} end
  local probe_until = tonumber(state[2])
  if probe_until and now < probe_until then
    return {2, math.min(probe_until - now, tonumber(ARGV[7])), 0}
  end
  probe = 1
end
local limit = tonumber(ARGV[2])
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= limit then return {0, 0, 0} end
end
local rate = tonumber(ARGV[4])
if rate > 0 then
  local burst = tonumber(ARGV[5])
  local b = redis.call('HMGET', KEYS[2], 'tokens', 'ts')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  if tokens < 1 then
    return {0, math.ceil((1 - tokens) * 1000 / rate), 0}
  end
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[2], 3600000)
end
if limit > 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
end
if probe == 1 then redis.call('HSET', KEYS[3], 'probe_until', now + tonumber(ARGV[6])) end
return {1, 0, probe}
"""

_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == 'ok' then
  redis.call('DEL', KEYS[2])
elseif ARGV[2] == 'fail' then
  local n = redis.call('HINCRBY', KEYS[2], 'failures', 1)
  if n >= tonumber(ARGV[3]) then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('HSET', KEYS[2], 'open_until', now + tonumber(ARGV[4]))
    redis.call('HDEL', KEYS[2], 'probe_until')
    redis.call('PEXPIRE', KEYS[2], 86400000)
    return 1
  end
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
return 0
"""


_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  if redis.call('ZADD', key, 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i + 1]) == 1 then
    redis.call('PEXPIRE', key, tonumber(ARGV[1]) * 2)
  end
end
return #KEYS
"""


@dataclass(frozen=True, slots=True)
class TargetLimits:
    """Limits of one target: 0 means unlimited."""

    concurrency: int = 0
    rate: float = 0.0
    burst: float = 0.0


@dataclass(slots=True)
class Admission:
    """The answer of `Limiter.acquire`: admitted with a lease, or come back in `wait` s."""

    target: str
    admitted: bool
    token: str = ""
    wait: float = 0.0
    breaker_open: bool = False
    probe: bool = False


class Limiter:
    """Admits requests to targets under the shared limits; see the module docstring."""

    def __init__(
        self,
        redis: Redis,
        *,
        perfex: TargetLimits,
        per_host: TargetLimits = TargetLimits(concurrency=64),
        lease_seconds: float = 70.0,
        breaker_threshold: int = BREAKER_THRESHOLD,
        breaker_cooldown: float = BREAKER_COOLDOWN,
        max_wait: float = 2.0,
    ) -> None:
        self.redis = redis
        self.perfex = perfex
        self.per_host = per_host
        self.lease_ms = int(lease_seconds * 1000)
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown_ms = int(breaker_cooldown * 1000)
        self.max_wait = max_wait
        self._admit = redis.register_script(_ADMIT)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)
        #: Concurrency leases this process holds: token -> semaphore key.
        self.held: dict[str, str] = {}

    def _limits(self, target: str) -> TargetLimits:
        return self.perfex if target == "perfex" else self.per_host

    async def try_admit(self, target: str) -> Admission:
        """One admission attempt, no waiting."""
        limits = self._limits(target)
        token = uuid.uuid4().hex
        code, wait_ms, probe = await self._admit(
            keys=[keys.SEMAPHORE + target, keys.BUCKET + target, keys.BREAKER + target],
            args=[
                token,
                limits.concurrency,
                self.lease_ms,
                limits.rate,
                limits.burst or max(limits.rate, 1.0),
                self.lease_ms,
                PROBE_RECHECK_MS,
            ],
        )
        if code == 1:
            if limits.concurrency > 0:
                self.held[token] = keys.SEMAPHORE + target
            return Admission(target, True, token=token, probe=bool(probe))
        return Admission(target, False, wait=int(wait_ms) / 1000, breaker_open=code == 2)

    async def acquire(self, target: str) -> Admission:
        """Admit, waiting up to `max_wait` in-process; past that the caller defers the job."""
        waited, pause = 0.0, 0.005
        while True:
            admission = await self.try_admit(target)
            if admission.admitted or admission.breaker_open:
                return admission
            pause = max(admission.wait, min(pause * 2, 0.1))
            if waited + pause > self.max_wait:
                admission.wait = max(admission.wait, 0.5)
                return admission
            await asyncio.sleep(pause)
            waited += pause

    async def release(self, admission: Admission, outcome: Outcome) -> bool:
        """Free the lease and feed the breaker; True when this failure opened it."""
        self.held.pop(admission.token, None)
        opened = await self._release(
            keys=[keys.SEMAPHORE + admission.target, keys.BREAKER + admission.target],
            args=[admission.token, outcome, self.breaker_threshold, self.breaker_cooldown_ms],
        )
        if opened:
            logger.warning(
                "circuit breaker for %s opened for %.0f s",
                admission.target,
                self.breaker_cooldown_ms / 1000,
            )
        return bool(opened)

    def stop_renewing(self, admission: Admission) -> None:
        """The attempt is over: its slot's lease is no longer renewed (the save that
        frees it follows within milliseconds; if it never comes, the lease lapses)."""
        self.held.pop(admission.token, None)

    def stage_release(self, pipe: Pipeline, admission: Admission, outcome: Outcome) -> None:
        """Queue, in `pipe`, what `release` does for an `ok` or `neutral` outcome (free the
        slot; `ok` also closes the breaker) as plain commands, so the runner folds them
        into the save that records the attempt: one round trip, and no script inside the
        transaction that a restarted server may have forgotten. A `fail` needs `release`."""
        if outcome == "fail":
            raise ValueError("a failure feeds the breaker: use Limiter.release")
        self.stop_renewing(admission)
        pipe.zrem(keys.SEMAPHORE + admission.target, admission.token)
        if outcome == "ok":
            pipe.delete(keys.BREAKER + admission.target)


async def renew_slots(limiter: Limiter, pipe: Pipeline) -> None:
    """Queue, in `pipe`, the renewal of every concurrency lease `limiter` holds."""
    held = dict(limiter.held)
    if held:
        await limiter._renew(keys=list(held.values()), args=[limiter.lease_ms, *held], client=pipe)


def perfex_limits(settings: Settings) -> TargetLimits:
    """The `perfex` target's limits from settings (the workers' steps and the pushes')."""
    return TargetLimits(
        concurrency=settings.perfex_concurrency,
        rate=settings.perfex_rate,
        burst=max(settings.perfex_rate, 1.0),
    )


def host_target(url_host: str, port: int | None, scheme: str) -> str:
    """The limit target of an outbound URL: `host:<host>:<port>`."""
    return f"host:{url_host.lower()}:{port or (443 if scheme == 'https' else 80)}"
