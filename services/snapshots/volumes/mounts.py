"""Which containers mount a volume, and the device of a volume with options on its data directory
(docker's local driver: mounted once at the first user, unmounted when the last one lets go).

    <root>/snapshots/volumes.db   table `holders`: one row per (volume, container) using it

A plain volume is its data directory: nothing is mounted, nothing is counted. A volume with
driver options (`type=tmpfs device=tmpfs o=size=64m`, `type=none device=/srv/x o=bind`, ...)
gets its device mounted on `<volumes>/<name>/_data`, and every container binds that, so two
containers share one tmpfs; when its last user stops it is unmounted and a tmpfs' data is gone,
as docker's. The count is the rows, so using a volume twice for one container is one use.
The filling of an empty volume from an image (docker's copy-up) holds it too, as
`<container>:copy-up` (COPY_UP), for the length of the copy, as dockerd's copy mounts and unmounts it.

Crash-safe by order and by the kernel's truth (/proc/self/mountinfo), settled by `reconcile`
at start-up, before anything is served:

    acquire  mount (when not mounted yet) → insert the row
    release  delete the row → unmount (when it was the last)

so a mount without a row is one a crash left (unmounted), and a row is never without its mount
while a container can use it. Rows whose container the engine says no longer runs are dropped by
`retain` (the engine's start-up repair). Mounts happen in this process's (the host's) mount
namespace; the syscalls are a parameter so that unit tests record them.
"""

from __future__ import annotations

import ctypes
import os
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from dockyard.api.errors import FailedPrecondition, Internal
from dockyard.services.snapshots.volumes import local
from dockyard.services.snapshots.volumes.store import Volume

_SCHEMA = """
CREATE TABLE IF NOT EXISTS holders (
    volume TEXT NOT NULL,
    container TEXT NOT NULL,
    PRIMARY KEY (volume, container)
);
"""
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC = 0x20, 0x1000, 0x4000
MNT_DETACH = 0x2
COPY_UP = ":copy-up"  # `<container>:copy-up` holds a volume while it is filled for the container
_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
_BINDS = {"bind": MS_BIND, "rbind": MS_BIND | MS_REC}
_IGNORED = {"rw", "suid", "dev", "exec"}


class Syscalls(Protocol):
    def mounted(self) -> set[str]:
        """The mount points of this mount namespace."""
        ...

    def mount(self, mount: local.Mount, target: str) -> None: ...

    def unmount(self, target: str) -> None: ...


class HostMounts:
    """The real syscalls (libc's mount(2) and umount2(2); /proc/self/mountinfo)."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)

    def mounted(self) -> set[str]:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            return {_unescape(line.split()[4]) for line in f}

    def mount(self, mount: local.Mount, target: str) -> None:
        flags, data = _options(mount.options)
        bind = bool(flags & MS_BIND)
        kind = None if bind else mount.type.encode()
        first = flags & ~MS_RDONLY if bind else flags  # a bind is made read-only by a remount
        self._call(
            self._libc.mount(mount.source.encode(), target.encode(), kind, first, data.encode())
        )
        if bind and flags & MS_RDONLY:
            remount = MS_REMOUNT | MS_BIND | MS_RDONLY
            self._call(self._libc.mount(None, target.encode(), None, remount, None))

    def unmount(self, target: str) -> None:
        self._call(self._libc.umount2(target.encode(), MNT_DETACH))

    @staticmethod
    def _call(result: int) -> None:
        if result != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))


class VolumeMounts:
    def __init__(self, db: sqlite3.Connection, volumes: Path, syscalls: Syscalls) -> None:
        self._db = db
        self._dir = volumes.resolve()  # as mountinfo names it
        self._sys = syscalls
        self._db.executescript(_SCHEMA)

    def target(self, name: str) -> str:
        return str(self._dir / name / "_data")

    def holders(self, name: str) -> list[str]:
        rows = self._db.execute(
            "SELECT container FROM holders WHERE volume = ? ORDER BY container", (name,)
        )
        return [r[0] for r in rows]

    def check_unused(self, name: str) -> None:
        users = self.holders(name)
        if users:
            raise FailedPrecondition(f"remove {name}: volume is in use - [{', '.join(users)}]")

    def acquire(self, volume: Volume, container: str) -> local.Mount:
        """The mount `container` gets for `volume`, its device mounted first when needed."""
        if not volume.options:
            return volume.mount
        target = self.target(volume.name)
        if target not in self._sys.mounted():
            try:
                self._sys.mount(volume.mount, target)
            except OSError as err:
                raise Internal(
                    f"error while mounting volume '{target}': failed to mount local volume: "
                    f"mount {volume.mount.source}:{target}: {err.strerror or err}"
                ) from None
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO holders (volume, container) VALUES (?, ?)",
                (volume.name, container),
            )
        return local.Mount("bind", target, ("rbind",))

    def current(self, volume: Volume) -> local.Mount:
        """How the volume is reached now: its data directory while containers mount it (its
        device is there: `cp` into a stopped container sees what they see), else as described."""
        if volume.options and self.holders(volume.name):
            return local.Mount("bind", self.target(volume.name), ("rbind",))
        return volume.mount

    def release(self, container: str) -> None:
        """`container` uses no volume any more; the volumes left unused are unmounted."""
        rows = self._db.execute("SELECT volume FROM holders WHERE container = ?", (container,))
        names = [r[0] for r in rows]
        if not names:
            return  # the usual case (no volume with options): no write
        with self._db:
            self._db.execute("DELETE FROM holders WHERE container = ?", (container,))
        self._unmount_unused(names)

    def retain(self, containers: Iterable[str]) -> None:
        """Every container but `containers` uses no volume any more."""
        keep = set(containers)
        for (container,) in self._db.execute("SELECT DISTINCT container FROM holders").fetchall():
            if container not in keep:
                self.release(container)

    def reconcile(self, existing: set[str]) -> None:
        """Start-up: the rows of volumes that are gone go, and those of copies (no copy outlives
        this process); a volume mounted without a row (a crash between the steps) is unmounted."""
        with self._db:
            for (name,) in self._db.execute("SELECT DISTINCT volume FROM holders").fetchall():
                if name not in existing:
                    self._db.execute("DELETE FROM holders WHERE volume = ?", (name,))
            self._db.execute("DELETE FROM holders WHERE container LIKE ?", (f"%{COPY_UP}",))
        self._unmount_unused(sorted(existing))

    def _unmount_unused(self, names: list[str]) -> None:
        mounted = self._sys.mounted()
        for name in names:
            target = self.target(name)
            if target in mounted and not self.holders(name):
                self._sys.unmount(target)


def _options(options: tuple[str, ...]) -> tuple[int, str]:
    flags, data = 0, []
    for option in options:
        if option in _FLAGS:
            flags |= _FLAGS[option]
        elif option in _BINDS:
            flags |= _BINDS[option]
        elif option not in _IGNORED:
            data.append(option)
    return flags, ",".join(data)


def _unescape(path: str) -> str:
    """mountinfo's octal escapes (space, tab, newline, backslash) decoded."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)
