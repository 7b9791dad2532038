"""Leases: named sets of blobs and layer snapshots that garbage collection leaves alone
(containerd's lesson 5), kept in SQLite so they outlive a restart.

A build cache is the main holder: the layers and configs a build wrote stay while its cache
records point at them, even once no image references them, until the cache is pruned
(`ReleaseLease`). Releasing a lease frees nothing at once; the next collection does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS leased (
    lease TEXT NOT NULL,
    kind TEXT NOT NULL,  -- 'blob' (a digest) or 'chain' (a layer snapshot's chain ID)
    ref TEXT NOT NULL,
    PRIMARY KEY (lease, kind, ref)
);
"""


class Leases:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, lease: str, digests: Iterable[str] = (), chains: Iterable[str] = ()) -> None:
        rows = [(lease, "blob", d) for d in digests] + [(lease, "chain", c) for c in chains]
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO leased VALUES (?, ?, ?)", rows)

    def release(self, lease: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM leased WHERE lease = ?", (lease,))

    def digests(self) -> set[str]:
        return self._refs("blob")

    def chains(self) -> set[str]:
        return self._refs("chain")

    def _refs(self, kind: str) -> set[str]:
        rows = self._db.execute("SELECT DISTINCT ref FROM leased WHERE kind = ?", (kind,))
        return {r[0] for r in rows}
