"""Named volumes: their records (SQLite, WAL) and their data directories.

    <root>/snapshots/volumes.db               one row per volume: driver, options, labels, created
    <root>/snapshots/volumes/<name>/_data     the volume's data (docker's layout)

A volume exists when both its row and its directory do. Each change is ordered so that a crash
(kill -9) at any point leaves either the whole volume or nothing of it, which `reconcile`
settles at start-up, before anything is served:

    create   mkdir volumes/.creating-<rand>/_data → insert the row → rename to volumes/<name>
    remove   rename volumes/<name> to volumes/.removing-<rand> → delete the row → rmtree

so a row without its directory is a half-made or half-removed volume (the row goes), a
`.creating-`/`.removing-` directory is dropped, and a directory without a row (data someone put
there) is adopted as a plain volume, never deleted. Only the engine knows which containers use
a volume; this store removes what it is told to.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dockyard.api.errors import AlreadyExists, NotFound
from dockyard.services.snapshots.volumes import local

_SCHEMA = """
CREATE TABLE IF NOT EXISTS volumes (
    name TEXT PRIMARY KEY,
    driver TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    labels TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
"""
CREATING, REMOVING = ".creating-", ".removing-"


@dataclass
class Volume:
    name: str
    mountpoint: str
    driver: str = local.DRIVER
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def mount(self) -> local.Mount:
        return local.mount_of(self.mountpoint, self.options)


class VolumeStore:
    def __init__(self, root: Path) -> None:
        self._dir = root / "volumes"
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            root / "volumes.db", isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        os.chmod(root / "volumes.db", 0o600)

    @property
    def db(self) -> sqlite3.Connection:
        """The records' database (the mounts' counts live there too, mounts.py)."""
        return self._db

    @property
    def volumes_dir(self) -> Path:
        return self._dir

    def close(self) -> None:
        self._db.close()

    def data_dir(self, name: str) -> Path:
        return self._dir / name / "_data"

    def create(
        self, name: str, driver: str, options: dict[str, str], labels: dict[str, str]
    ) -> Volume:
        """A new volume, or the existing one of that name (docker's)."""
        name = name or secrets.token_hex(32)
        driver = local.check_driver(name, driver)
        local.check_name(name)
        with contextlib.suppress(NotFound):
            return self.get(name)
        local.check_options(name, options)
        staging = self._dir / f"{CREATING}{secrets.token_hex(8)}"
        (staging / "_data").mkdir(mode=0o755, parents=True)
        try:
            self._insert(name, driver, options, labels)
            os.rename(staging, self._dir / name)
        except BaseException:
            self._delete(name)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.get(name)

    def _insert(
        self, name: str, driver: str, options: dict[str, str], labels: dict[str, str]
    ) -> None:
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO volumes (name, driver, options, labels, created)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (name, driver, json.dumps(options), json.dumps(labels), _now()),
                )
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"create {name}: volume already exists") from None

    def get(self, name: str) -> Volume:
        row = self._db.execute(
            "SELECT name, driver, options, labels, created FROM volumes WHERE name = ?", (name,)
        ).fetchone()
        if row is None or not (self._dir / name).is_dir():
            raise NotFound(f"get {name}: no such volume")
        return self._volume(row)

    def list(self) -> list[Volume]:
        rows = self._db.execute(
            "SELECT name, driver, options, labels, created FROM volumes ORDER BY name"
        )
        return [self._volume(r) for r in rows if (self._dir / r[0]).is_dir()]

    def remove(self, name: str) -> None:
        """Forget the volume, then delete its data (a crash in between loses nothing kept)."""
        self.get(name)
        trash = self._dir / f"{REMOVING}{secrets.token_hex(8)}"
        os.rename(self._dir / name, trash)
        self._delete(name)
        shutil.rmtree(trash, ignore_errors=True)

    def _delete(self, name: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM volumes WHERE name = ?", (name,))

    def usage(self, name: str) -> int:
        """Bytes the volume's data takes on disk (hardlinks once; other filesystems not)."""
        return disk_usage(self.data_dir(self.get(name).name))

    def reconcile(self) -> None:
        """Settle what a crash left half-done (see the module docstring)."""
        names = {r[0] for r in self._db.execute("SELECT name FROM volumes")}
        for name in names:
            if not (self._dir / name).is_dir():
                self._delete(name)
        for path in self._dir.iterdir():
            if path.name.startswith((CREATING, REMOVING)):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name not in names and path.is_dir() and local.NAME.fullmatch(path.name):
                (path / "_data").mkdir(mode=0o755, exist_ok=True)
                self._insert(path.name, local.DRIVER, {}, {})

    def _volume(self, row: tuple[str, str, str, str, str]) -> Volume:
        name, driver, options, labels, created = row
        return Volume(
            name=name,
            mountpoint=str(self.data_dir(name)),
            driver=driver,
            options=json.loads(options),
            labels=json.loads(labels),
            created=datetime.fromisoformat(created),
        )


def disk_usage(top: Path) -> int:
    """Bytes used below `top`, counting each inode once and staying on its filesystem."""
    try:
        device = os.lstat(top).st_dev
    except FileNotFoundError:
        return 0
    size, seen = 0, set()
    # fwalk opens each directory relative to its parent without following links: a container
    # swapping a directory for a symlink meanwhile cannot send the walk out of the volume
    for _, dirnames, filenames, dir_fd in os.fwalk(top, follow_symlinks=False):
        for name in dirnames + filenames:
            try:
                info = os.lstat(name, dir_fd=dir_fd)
            except FileNotFoundError:
                continue
            if info.st_dev != device or (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            size += info.st_blocks * 512
    return size


def _now() -> str:
    return datetime.now(UTC).isoformat()
