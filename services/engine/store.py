"""Container records, persisted in SQLite (WAL) under `<root>/engine/containers.db`.

One row per container: its ID, its unique name and the whole record as JSON. Every write is
one transaction, so a crash leaves either the old or the new record, never half of one.
Look-ups resolve like docker's: full ID, then exact name, then a unique ID prefix.

No look-up reads every record: IDs and names are keys, an ID prefix is a range of the key,
and the records' status and image are indexed (SQLite indexes on expressions of the JSON), so
`ps` reads the running containers only and creating, inspecting or removing one container
costs the same beside 2,000 others as beside none.

A full disk (SQLITE_FULL) does not stop the records: a write that fails for want of space is
tried again once the engine's reserve (`reserve.py`) is released; if it fails still, the
transaction was rolled back and the error says so (`ResourceExhausted`), never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from dockyard.api.errors import AlreadyExists, InvalidArgument, NotFound, ResourceExhausted
from dockyard.services.engine.convert import from_json, to_json
from dockyard.services.engine.model import RUNNING_STATUSES, Container
from dockyard.services.engine.reserve import Reserve

_SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS containers_created ON containers (created);
CREATE INDEX IF NOT EXISTS containers_status ON containers (json_extract(record, '$.state.status'));
CREATE INDEX IF NOT EXISTS containers_image ON containers (json_extract(record, '$.image'));
CREATE INDEX IF NOT EXISTS containers_linking ON containers (id)
    WHERE json_array_length(record, '$.host_config.links') > 0;
"""
Records = list[tuple[str, str]]  # (ID, record as stored), from `records`
# The indexed expressions, written exactly as the indexes have them (else SQLite scans).
_STATUS = "json_extract(record, '$.state.status')"
_IMAGE = "json_extract(record, '$.image')"
_MOUNT_TYPE = "json_extract(value, '$.type')"  # of one of a record's mounts (json_each)
_MOUNT_NAME = "json_extract(value, '$.name')"
_LINKING = "json_array_length(record, '$.host_config.links') > 0"  # the partial index's WHERE


class ContainerStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._reserve = Reserve(path.with_name("reserve"))

    def close(self) -> None:
        self._db.close()

    def add(self, container: Container) -> None:
        """Record a new container; ALREADY_EXISTS when its name is taken."""
        self._write(
            "INSERT INTO containers (id, name, created, record) VALUES (?, ?, ?, ?)",
            (container.id, container.name, container.created.isoformat(), _dump(container)),
            container.name,
        )

    def update(self, container: Container) -> None:
        self._write(
            "UPDATE containers SET name = ?, record = ? WHERE id = ?",
            (container.name, _dump(container), container.id),
            container.name,
        )

    def remove(self, container_id: str) -> None:
        self._write("DELETE FROM containers WHERE id = ?", (container_id,))

    def _write(self, sql: str, args: tuple[str, ...], name: str = "") -> None:
        """One statement in its own transaction; on a full disk, again with the reserve freed."""
        try:
            try:
                self._execute(sql, args)
            except sqlite3.OperationalError as err:
                if not _full(err) or not self._reserve.release():
                    raise
                self._execute(sql, args)
        except sqlite3.IntegrityError:
            raise self.conflict(name) from None
        except sqlite3.OperationalError as err:
            if not _full(err):
                raise
            raise ResourceExhausted(
                f"no space left on device for the engine's records ({err}): free some space"
            ) from None
        self._reserve.restore()

    def _execute(self, sql: str, args: tuple[str, ...]) -> None:
        with self._db:
            self._db.execute(sql, args)

    def get(self, ref: str) -> Container:
        """The container `ref` names: a full ID, a name (with or without "/"), or an ID prefix."""
        ref = ref.removeprefix("/")
        if not ref:
            raise InvalidArgument("container name or ID cannot be empty")
        row = self._db.execute(
            "SELECT record FROM containers WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1",
            (ref, ref, ref),
        ).fetchone()
        if row is None and all(c in "0123456789abcdef" for c in ref):
            rows = self._db.execute(  # IDs are lowercase hex: those under `ref` sort before ref+"g"
                "SELECT record FROM containers WHERE id >= ? AND id < ? LIMIT 2", (ref, ref + "g")
            ).fetchall()
            if len(rows) > 1:
                raise InvalidArgument(f"multiple IDs found with provided prefix: {ref}")
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"No such container: {ref}")
        return _load(row[0])

    def using_image(self, image_id: str) -> list[Container]:
        rows = self._db.execute(
            f"SELECT record FROM containers WHERE {_IMAGE} = ? ORDER BY created DESC", (image_id,)
        )
        return [_load(text) for (text,) in rows.fetchall()]

    def volume_users(self, name: str) -> list[str]:
        """IDs of the containers that mount volume `name`, newest first. SQLite reads the
        records' mounts itself (no record is parsed in Python: that cost ~0.1 ms a container,
        and `rm -v`, `run --rm` and each volume of `volume ls` asked)."""
        rows = self._db.execute(
            "SELECT id FROM containers WHERE EXISTS (SELECT 1 FROM"
            f" json_each(record, '$.mounts') WHERE {_MOUNT_TYPE} = 'volume' AND {_MOUNT_NAME} = ?)"
            " ORDER BY created DESC",
            (name,),
        )
        return [container_id for (container_id,) in rows.fetchall()]

    def linking_to(self, name: str, running_only: bool = True) -> list[tuple[Container, str]]:
        """The (running) containers with a legacy link to the container `name`, each with the
        link's alias (once per link). Only containers with links are read (a partial index
        holds them): with none anywhere, a start asks nothing more of SQLite than that."""
        running = f" AND {_STATUS} IN (?, ?, ?)" if running_only else ""
        rows = self._db.execute(
            "SELECT record, value FROM containers INDEXED BY containers_linking,"
            f" json_each(record, '$.host_config.links') WHERE {_LINKING}{running}"
            " AND substr(value, 1, ?) = ?",
            (*(RUNNING_STATUSES if running_only else ()), len(name) + 2, f"/{name}:"),
        )
        return [(_load(text), link.rsplit("/", 1)[-1]) for text, link in rows.fetchall()]

    def link_names(self) -> dict[str, list[str]]:
        """Each linked container's name: the names it has as links ("/parent/alias"), sorted."""
        rows = self._db.execute(
            "SELECT value FROM containers INDEXED BY containers_linking,"
            f" json_each(record, '$.host_config.links') WHERE {_LINKING}"
        )
        found: dict[str, list[str]] = {}
        for (link,) in rows.fetchall():
            child, _, full = str(link).partition(":")
            found.setdefault(child.removeprefix("/"), []).append(full)
        return {child: sorted(names) for child, names in found.items()}

    def list(self) -> list[Container]:
        """Every container, newest first."""
        return list(self.each())

    def each(self, running_only: bool = False) -> Iterator[Container]:
        """Containers newest first (only those running, paused or restarting if asked), each
        parsed when the caller comes to it: a caller that stops early parses no more."""
        where = f"WHERE {_STATUS} IN (?, ?, ?)" if running_only else ""
        rows = self._db.execute(
            f"SELECT record FROM containers {where} ORDER BY created DESC",
            RUNNING_STATUSES if running_only else (),
        ).fetchall()
        return (_load(text) for (text,) in rows)

    def records(self, running_only: bool = False) -> Records:
        """Each container's ID and record as stored (JSON), newest first: for a reader that
        keeps what it parsed before (`reading.py`) and parses only records that changed."""
        where = f"WHERE {_STATUS} IN (?, ?, ?)" if running_only else ""
        rows = self._db.execute(
            f"SELECT id, record FROM containers {where} ORDER BY created DESC",
            RUNNING_STATUSES if running_only else (),
        )
        return [(container_id, text) for container_id, text in rows.fetchall()]

    def count_by_status(self) -> dict[str, int]:
        rows = self._db.execute(f"SELECT {_STATUS}, count(*) FROM containers GROUP BY 1")
        return {status: count for status, count in rows.fetchall()}

    def conflict(self, name: str, owner: str = "") -> AlreadyExists:
        """Docker's error for a name that another container has (`owner`, else the one the
        records say)."""
        if not owner:
            row = self._db.execute("SELECT id FROM containers WHERE name = ?", (name,)).fetchone()
            owner = row[0] if row else "?"
        return AlreadyExists(
            f'Conflict. The container name "/{name}" is already in use by container "{owner}". '
            "You have to remove (or rename) that container to be able to reuse that name."
        )


def _full(err: sqlite3.OperationalError) -> bool:
    return getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(err)


def _dump(container: Container) -> str:
    return json.dumps(to_json(container), separators=(",", ":"))


def load(text: str) -> Container:
    """A container from its stored record (`records`)."""
    return _load(text)


def _load(text: str) -> Container:
    return from_json(Container, json.loads(text))
