"""Sandbox state: records per table, in memory, optionally written through to SQLite.

Every table is a dict of id -> record (a JSON-able dict). With a `db_path` each change is
also written to a SQLite file (one JSON document per row), and the file is loaded at
start, so a sandbox keeps its data across restarts.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger("bridge.sandbox.store")

Record = dict[str, Any]
#: Called after every write: (table, id, "created" | "updated" | "deleted", record or None).
Listener = Callable[[str, int, str, "Record | None"], None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    tbl TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tbl, id));
CREATE TABLE IF NOT EXISTS counters (tbl TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
"""


class Store:
    """Tables of records with auto-increment ids, like the MySQL tables behind Perfex."""

    def __init__(self, db_path: str | Path | None = None) -> None:
        self._tables: dict[str, dict[int, Record]] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._batch = 0
        #: Told of every put and delete (the webhooks deliveries listen here).
        self.listeners: list[Listener] = []
        if db_path is not None:
            self._db = sqlite3.connect(str(db_path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        for tbl, rid, body in self._db.execute("SELECT tbl, id, body FROM records"):
            self._tables.setdefault(tbl, {})[int(rid)] = json.loads(body)
        for tbl, last_id in self._db.execute("SELECT tbl, last_id FROM counters"):
            self._counters[tbl] = int(last_id)

    def _commit(self) -> None:
        if self._db is not None and self._batch == 0:
            self._db.commit()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many writes into one SQLite transaction (seeding, resets)."""
        with self._lock:
            self._batch += 1
            try:
                yield
            finally:
                self._batch -= 1
                self._commit()

    @property
    def is_empty(self) -> bool:
        """Whether nothing at all has been stored yet (a fresh file or memory)."""
        return not self._counters

    def next_id(self, table: str) -> int:
        """The next auto-increment id of `table` (ids are never reused, as in MySQL)."""
        with self._lock:
            value = self._counters.get(table, 0) + 1
            self._counters[table] = value
            if self._db is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO counters (tbl, last_id) VALUES (?, ?)", (table, value)
                )
                self._commit()
            return value

    def put(self, table: str, rid: int, record: Record) -> None:
        """Insert or replace one record."""
        with self._lock:
            kind = "updated" if rid in self._tables.get(table, {}) else "created"
            self._tables.setdefault(table, {})[rid] = record
            if self._counters.get(table, 0) < rid:
                self._counters[table] = rid
            if self._db is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO records (tbl, id, body) VALUES (?, ?, ?)",
                    (table, rid, json.dumps(record)),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO counters (tbl, last_id) VALUES (?, ?)",
                    (table, self._counters[table]),
                )
                self._commit()
        self._tell(table, rid, kind, record)

    def _tell(self, table: str, rid: int, kind: str, record: Record | None) -> None:
        for listener in self.listeners:
            try:
                listener(table, rid, kind, copy.deepcopy(record))
            except Exception:  # a listener must never break a write
                logger.exception("store listener failed on %s %s %s", kind, table, rid)

    def get(self, table: str, rid: int) -> Record | None:
        """A copy of one record, or None."""
        record = self._tables.get(table, {}).get(rid)
        return copy.deepcopy(record) if record is not None else None

    def all(self, table: str) -> list[Record]:
        """Copies of every record of `table`, in id order."""
        rows = self._tables.get(table, {})
        return [copy.deepcopy(rows[k]) for k in sorted(rows)]

    def peek_all(self, table: str) -> list[Record]:
        """The live records of `table`, in id order, NOT copied: for readers that build
        new objects from them (the list endpoint, which would copy 10,000 rows a page)."""
        rows = self._tables.get(table, {})
        return [rows[k] for k in sorted(rows)]

    def ids(self, table: str) -> list[int]:
        """Every id of `table`, ascending."""
        return sorted(self._tables.get(table, {}))

    def delete(self, table: str, rid: int) -> bool:
        """Remove one record; False when there was none."""
        with self._lock:
            removed = self._tables.get(table, {}).pop(rid, None)
            if removed is not None and self._db is not None:
                self._db.execute("DELETE FROM records WHERE tbl = ? AND id = ?", (table, rid))
                self._commit()
        if removed is not None:
            self._tell(table, rid, "deleted", removed)
        return removed is not None

    def has_table(self, table: str) -> bool:
        """Whether `table` exists (was ever written to)."""
        return table in self._tables or table in self._counters

    def clear(self) -> None:
        """Forget everything (the control API's reset)."""
        with self._lock:
            self._tables.clear()
            self._counters.clear()
            if self._db is not None:
                self._db.execute("DELETE FROM records")
                self._db.execute("DELETE FROM counters")
                self._commit()

    def close(self) -> None:
        """Close the SQLite file, if any."""
        if self._db is not None:
            self._db.close()
            self._db = None
