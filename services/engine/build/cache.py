"""The build cache: what each step produced, by the step's cache key, in SQLite (WAL) so it
outlives the engine.

A key is the sha256 of the state the step starts from (the key of the step before it, or the
base image's ID) and what the step is: the instruction with its variables expanded, the build
args it sees, and for COPY/ADD the digest of the files it reads (`sources.digest`). So a
change to one step changes its key and every key after it, and nothing before it.

The layers and configs the records point at are leased from the images service under
`LEASE`, so removing the images that used them does not take them from the cache; a record
whose layer snapshot is nonetheless gone is a miss (the executor checks before using it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from dockyard.services.engine.build.imagestate import StepResult

LEASE = "build-cache"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (
    key TEXT PRIMARY KEY,
    result TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS chains (
    chain TEXT PRIMARY KEY,  -- a layer snapshot a build committed
    depth INTEGER NOT NULL,  -- its layers, base included: prune removes the deepest first
    created TEXT NOT NULL DEFAULT ''  -- when ('' = recorded by an older version: old)
);
"""


def key(parent: str, step: dict[str, Any]) -> str:
    """The cache key of `step` (a JSON-able description) after the state `parent`."""
    text = json.dumps({"parent": parent, "step": step}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class BuildCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chains)")}
        if "created" not in columns:  # a cache from before ages (its chains count as old)
            self._db.execute("ALTER TABLE chains ADD COLUMN created TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        self._db.close()

    def get(self, key: str) -> StepResult | None:
        row = self._db.execute("SELECT result FROM steps WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return StepResult.from_json(row[0])
        except (ValueError, KeyError, TypeError):
            self.forget(key)  # written by another version, or damaged: a miss
            return None

    def put(self, key: str, result: StepResult) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO steps (key, result) VALUES (?, ?)", (key, result.to_json())
            )

    def forget(self, key: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM steps WHERE key = ?", (key,))

    def clear(self) -> int:
        """Forget every record; how many there were."""
        with self._db:
            return self._db.execute("DELETE FROM steps").rowcount

    def add_chain(self, chain: str, depth: int) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO chains (chain, depth, created)"
                " VALUES (?, ?, datetime('now'))",
                (chain, depth),
            )

    def chains(self) -> list[str]:
        """The layer snapshots builds committed, the deepest first."""
        return [r[0] for r in self._db.execute("SELECT chain FROM chains ORDER BY depth DESC")]

    def aged_chains(self) -> list[tuple[str, str, int]]:
        """(chain, created as SQLite's UTC "YYYY-MM-DD HH:MM:SS", depth) of each, the oldest
        first."""
        rows = self._db.execute(
            "SELECT chain, created, depth FROM chains ORDER BY created, depth DESC"
        )
        return [(chain, created, depth) for chain, created, depth in rows]

    def forget_before(self, moment: str) -> int:
        """Forget the records made before `moment` (SQLite's UTC form); how many."""
        with self._db:
            return self._db.execute("DELETE FROM steps WHERE created < ?", (moment,)).rowcount

    def kept_blobs(self) -> list[str]:
        """The layer blobs the records left hold."""
        blobs = []
        for (text,) in self._db.execute("SELECT result FROM steps"):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                layer = StepResult.from_json(text).layer
                if layer is not None:
                    blobs.append(layer.digest)
        return blobs

    def forget_chain(self, chain: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM chains WHERE chain = ?", (chain,))
