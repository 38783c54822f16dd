"""The poller's Redis keys and what it knows about each polled resource.

Every key sits under `bridge:poller:` next to the status hash of `bridge.constants`.
"""

from __future__ import annotations

from typing import Any

from bridge import constants

_PREFIX = constants.KEY_PREFIX + "poller:"

#: Server time (unix s, Perfex's `meta.next_poll`) up to which creations were seen.
CURSOR = _PREFIX + "cursor:"
#: Sorted set per resource of record ids already turned into events (score: the server
#: time of the poll that first saw the id), pruned so memory stays flat.
SEEN = _PREFIX + "seen:"
#: Hash per resource: record id -> canonical JSON of the record at the last reconcile.
SNAPSHOT = _PREFIX + "snapshot:"
#: Set when the reconcile snapshot of a resource holds its baseline.
SNAPSHOT_READY = _PREFIX + "snapshot-ready:"
#: JSON list per resource: the columns a fingerprint reads (learned from the list once).
COLUMNS = _PREFIX + "columns:"
#: Hash per resource: record id -> {"id": event id, "state": canonical or null} of a change
#: a push stored that the poll has not yet taken (so the poll derives the same event id).
PENDING = _PREFIX + "pending:"
#: Sorted set per resource beside PENDING: record id -> when its entry was written (ms,
#: the server's clock), so entries past the horizon are pruned (`state.set_pending`).
PENDING_AT = _PREFIX + "pending-at:"
#: Hash per resource: record id -> id of the event that made its current snapshot state.
LAST = _PREFIX + "last:"
#: Highest record id seen by the list-created poll (resources outside the Zapier poll).
HIGH_WATER = _PREFIX + "high-water:"
#: The lock a replica holds to poll one resource: bridge:poller:lock:<resource>.
LOCK = _PREFIX + "lock:"

#: STATS counter fields the poller increments.
STAT_GAPS = "poller_gaps"
STAT_EVENTS = "poller_events"
#: STATS counters of a change seen by both push and poll: the second arrival, per source.
STAT_DUPLICATES = "trigger_duplicates_"
#: Resources the Zapier poll endpoint serves; the others get `created` from their list.
ZAPIER = frozenset({"customers", "invoices", "leads", "tasks", "tickets"})

#: Keys that carry a record's id, per resource; the first one present wins.
_ID_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("userid", "id"),
    "tickets": ("ticketid", "id"),
    "staffs": ("staffid", "id"),
    "calendar": ("eventid", "id"),
}

#: How long a seen id is kept after the poll window has moved past it (seconds). Invoices
#: compare the date only, so every invoice of a day returns all that day: keep two days.
_SEEN_MARGIN: dict[str, float] = {"invoices": 2 * 86400 + 3600}
_DEFAULT_SEEN_MARGIN = 3600.0

#: Fields left out of fingerprints because they change without anyone changing the record.
VOLATILE: dict[str, frozenset[str]] = {}


def record_id(resource: str, record: dict[str, Any]) -> str | None:
    """The record's id as a string, or None when it carries none."""
    for key in _ID_KEYS.get(resource, ("id",)):
        value = record.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def seen_margin(resource: str) -> float:
    """Seconds a seen id outlives the start of the poll window."""
    return _SEEN_MARGIN.get(resource, _DEFAULT_SEEN_MARGIN)


def id_key(resource: str) -> str:
    """The column that carries the record id in lists (used for sort=)."""
    return _ID_KEYS.get(resource, ("id",))[0]
