"""Snapshot records in SQLite (WAL): key, kind, parent, labels, times and a short integer ID.

The integer ID names the snapshot's directory (`snapshots/<id>`), which keeps overlay's
`lowerdir=` option short (mount options must fit in a page). Every change is one transaction;
one the disk has no room for is ResourceExhausted (and changed nothing). Keys and parents
are indexed: no look-up reads every record (a removal asks for the snapshot's children, and
each container has one).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockyard.api.errors import AlreadyExists, NotFound, ResourceExhausted

KINDS = ("view", "active", "committed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent TEXT,
    labels TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots (parent);
"""


@dataclass
class Record:
    id: int
    key: str
    kind: str
    parent: str
    labels: dict[str, str] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


class MetaStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, key: str, kind: str, parent: str, labels: dict[str, str]) -> Record:
        now = datetime.now(UTC).isoformat()
        try:
            with self._writing():
                self._db.execute(
                    "INSERT INTO snapshots (key, kind, parent, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, kind, parent or None, json.dumps(labels), now, now),
                )
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"snapshot {key} already exists") from None
        return self.get(key)

    def get(self, key: str) -> Record:
        row = self._db.execute(
            "SELECT id, key, kind, parent, labels, created, updated FROM snapshots WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            raise NotFound(f"snapshot {key} does not exist")
        return _record(row)

    def commit(self, key: str, name: str, labels: dict[str, str]) -> None:
        try:
            with self._writing():
                self._db.execute(
                    "UPDATE snapshots SET key = ?, kind = 'committed', labels = ?, updated = ? WHERE key = ?",
                    (name, json.dumps(labels), datetime.now(UTC).isoformat(), key),
                )
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"snapshot {name} already exists") from None

    def remove(self, key: str) -> None:
        with self._writing():
            self._db.execute("DELETE FROM snapshots WHERE key = ?", (key,))

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            with self._db:
                yield
        except sqlite3.OperationalError as err:
            if "full" not in str(err):
                raise
            raise ResourceExhausted("no space left on device (snapshot metadata)") from None

    def children(self, key: str) -> list[str]:
        return [
            r[0] for r in self._db.execute("SELECT key FROM snapshots WHERE parent = ?", (key,))
        ]

    def all(self) -> list[Record]:
        rows = self._db.execute(
            "SELECT id, key, kind, parent, labels, created, updated FROM snapshots"
        )
        return [_record(r) for r in rows]

    def chain(self, key: str) -> list[Record]:
        """`key` and its ancestors, nearest first."""
        chain = []
        while key:
            record = self.get(key)
            chain.append(record)
            key = record.parent
        return chain


def _record(row: tuple[Any, ...]) -> Record:
    id_, key, kind, parent, labels, created, updated = row
    return Record(
        int(id_),
        str(key),
        str(kind),
        str(parent or ""),
        json.loads(str(labels)),
        datetime.fromisoformat(str(created)),
        datetime.fromisoformat(str(updated)),
    )
