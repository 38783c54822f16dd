"""The audit every system test ends with: what went in against what came out.

    ledger = await settle(redis, sent, lambda: state.deliveries, key_of)  # until settled
    ledger.assert_balanced()                                   # nothing lost, nothing unexplained

`sent` maps a key the test chose (a sequence number, a lead id) to the event id the bridge
gave it; `key_of` reads that key back from a delivery's body. Every key ends in exactly one
column: delivered once, delivered more than once (each with its reason, read from the run
history's attempts), dead-lettered (with the run's error), still pending (no run yet, or a
run queued/running/retrying), or lost (a run that finished without a delivery, or an
event that was never stored). Events in = delivered + dead-lettered + still pending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bridge.constants import EVENT_KEY
from bridge.executor.history import get_run, runs_for_event
from bridge.loopback.receiver import Delivery

logger = logging.getLogger("bridge.tests.system.ledger")

#: Run statuses that mean "not finished yet".
PENDING = frozenset({"queued", "running", "retrying", "waiting"})
#: Run statuses of the dead-letter queue.
DEAD = frozenset({"failed", "dead"})

KeyOf = Callable[[Delivery], str | None]


@dataclass
class Ledger:
    """One audit: every key sent, in exactly one column."""

    sent: int = 0
    once: list[str] = field(default_factory=list)
    #: key -> why it arrived more than once (from the run history).
    duplicates: dict[str, str] = field(default_factory=dict)
    #: key -> the dead-lettered run's error.
    dead: dict[str, str] = field(default_factory=dict)
    #: key -> what it waits for.
    pending: dict[str, str] = field(default_factory=dict)
    #: key -> what went wrong.
    lost: dict[str, str] = field(default_factory=dict)
    #: Keys whose event was routed, but to none of the audited rules (with `rules=`).
    unmatched: list[str] = field(default_factory=list)
    #: Successful deliveries whose key was never sent.
    unknown: list[str] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return len(self.once) + len(self.duplicates)

    @property
    def balanced(self) -> bool:
        """Events in = delivered + dead-lettered + pending, nothing lost or unknown."""
        total = self.delivered + len(self.dead) + len(self.pending) + len(self.unmatched)
        return total == self.sent and not self.lost and not self.unknown

    def summary(self) -> str:
        lines = [
            f"sent {self.sent}: delivered once {len(self.once)}, "
            f"more than once {len(self.duplicates)}, dead-lettered {len(self.dead)}, "
            f"pending {len(self.pending)}, unmatched {len(self.unmatched)}, "
            f"lost {len(self.lost)}, unknown {len(self.unknown)}"
        ]
        for title, items in (
            ("duplicate", self.duplicates),
            ("dead", self.dead),
            ("pending", self.pending),
            ("lost", self.lost),
        ):
            lines += [f"  {title} {key}: {why}" for key, why in list(items.items())[:10]]
        lines += [f"  unknown delivery {key}" for key in self.unknown[:10]]
        return "\n".join(lines)

    def assert_balanced(
        self,
        *,
        dead: int | None = 0,
        duplicates_allowed: bool = True,
        unmatched_allowed: bool = False,
    ) -> None:
        """Settled, nothing lost, `dead` letters exactly (None: any), every duplicate explained."""
        problems = []
        if self.unmatched and not unmatched_allowed:
            problems.append(f"events routed to none of the audited rules: {self.unmatched[:5]}")
        if not self.balanced or self.pending:
            problems.append("not balanced or not settled")
        if dead is not None and len(self.dead) != dead:
            problems.append(f"expected {dead} dead letters")
        if self.duplicates and not duplicates_allowed:
            problems.append("duplicates where none may be")
        unexplained = [k for k, why in self.duplicates.items() if "unexplained" in why]
        if unexplained:
            problems.append(f"duplicates without a reason in the history: {unexplained[:5]}")
        assert not problems, "; ".join(problems) + "\n" + self.summary()


def _waiting(run: dict[str, Any]) -> str:
    """What a run still going waits for, as the record says."""
    text = f"{run['id']} {run['status']}"
    steps = run.get("steps") or []
    if steps:
        text += f", attempts {[s.get('attempts') for s in steps]}"
    if run.get("next_attempt_at"):
        text += f", next in {float(run['next_attempt_at']) - time.time():.1f} s"
    if run.get("error"):
        text += f", last error {run['error']}"
    return text


def _reason(runs: list[dict[str, Any]], deliveries: list[Delivery]) -> str:
    """Why one key arrived more than once, from the attempts the history kept."""
    ids = {d.webhook_id for d in deliveries}
    same = "same webhook-id (a receiver drops it)" if len(ids) == 1 else f"{len(ids)} webhook-ids"
    if len(runs) > 1:
        names = ", ".join(r["id"] for r in runs)
        return f"{len(runs)} runs ({names}); {same}"
    attempts = runs[0].get("attempts", []) if runs else []
    told = [
        f"attempt {a.get('attempt')}: {a.get('outcome')}"
        + (f" ({a['error']})" if a.get("error") else "")
        for a in attempts
    ]
    if len(attempts) < len(deliveries):
        return f"unexplained: {len(deliveries)} deliveries, {len(attempts)} attempts; {same}"
    return f"{'; '.join(told)}; {same}"


async def audit(
    redis: Redis,
    sent: Mapping[str, str],
    deliveries: Callable[[], Iterable[Delivery]],
    key_of: KeyOf,
    *,
    rules: Iterable[str] | None = None,
) -> Ledger:
    """Put every sent key in its column (see the module docstring).

    The runs are read first and the deliveries after: a run that succeeded had its
    delivery recorded before its checkpoint, so no race can show it as lost. With
    `rules`, only runs of those rules count (pass the deliveries of their receiver). A
    run still going is pending even when its delivery has arrived: the audit is settled
    only once every run has finished.
    """
    wanted = set(rules) if rules is not None else None
    runs_of: dict[str, list[dict[str, Any]]] = {}
    routed: dict[str, bool] = {}
    stored: dict[str, bool] = {}
    for key, event_id in sent.items():
        runs = await runs_for_event(redis, event_id)
        runs_of[key] = [r for r in runs if wanted is None or r["rule"] in wanted]
        routed[key] = bool(runs)
        if not runs:
            stored[key] = bool(await redis.exists(EVENT_KEY + event_id))
    arrived: dict[str, list[Delivery]] = defaultdict(list)
    ledger = Ledger(sent=len(sent))
    for delivery in list(deliveries()):
        if delivery.status >= 300:
            continue
        found = key_of(delivery)
        if found is None or found not in sent:
            ledger.unknown.append(str(found))
            continue
        arrived[found].append(delivery)
    for key, event_id in sent.items():
        got = arrived.get(key, [])
        runs = runs_of[key]
        if any(r["status"] in PENDING for r in runs):
            ledger.pending[key] = "; ".join(_waiting(r) for r in runs)
        elif len(got) == 1:
            ledger.once.append(key)
        elif got:
            full = [await get_run(redis, r["id"]) or r for r in runs]
            ledger.duplicates[key] = _reason(full, got)
        elif any(r["status"] in DEAD for r in runs):
            ledger.dead[key] = "; ".join(str(r.get("error")) for r in runs)
        elif runs:
            ledger.lost[key] = "runs finished without a delivery: " + ", ".join(
                f"{r['id']}={r['status']}" for r in runs
            )
        elif routed[key]:
            ledger.unmatched.append(key)
        elif stored.get(key):
            ledger.pending[key] = "stored, not routed yet"
        else:
            ledger.lost[key] = f"event {event_id} not in the store"
    return ledger


async def settle(
    redis: Redis,
    sent: Mapping[str, str],
    deliveries: Callable[[], Iterable[Delivery]],
    key_of: KeyOf,
    *,
    rules: Iterable[str] | None = None,
    within: float = 60.0,
) -> Ledger:
    """Audit until nothing is pending or missing (or `within` seconds pass); the last audit.

    A key counts as lost only when it is still missing at the end: an event the poller
    has not fired yet is not in the store either.
    """
    deadline = time.monotonic() + within
    names = list(rules) if rules is not None else None
    while True:
        ledger = await audit(redis, sent, deliveries, key_of, rules=names)
        if not (ledger.pending or ledger.lost) or time.monotonic() > deadline:
            logger.info("ledger: %s", ledger.summary())
            return ledger
        await asyncio.sleep(0.5)
