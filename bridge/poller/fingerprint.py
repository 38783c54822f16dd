"""Content fingerprints of records: what makes an `updated` event and its id.

A record's canonical form is its JSON with sorted keys and no spaces, volatile fields
left out; two reads of an unchanged record give the same string, so comparing the
stored form with a fresh one says whether anything changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

_MISSING: Any = None


def canonical(record: dict[str, Any], volatile: Collection[str] = ()) -> str:
    """The record as compact JSON with sorted keys, volatile fields removed."""
    if volatile:
        record = {k: v for k, v in record.items() if k not in volatile}
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(*parts: str) -> str:
    """16 hex digits of SHA-256 over the given canonical strings."""
    digest = hashlib.sha256("\n".join(parts).encode())
    return digest.hexdigest()[:16]


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Every field whose value differs: {field: [old, new]} (None for an absent side)."""
    out: dict[str, list[Any]] = {}
    for key in sorted(old.keys() | new.keys()):
        before = old.get(key, _MISSING)
        after = new.get(key, _MISSING)
        if before != after:
            out[key] = [before, after]
    return out
