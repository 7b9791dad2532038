"""Whether code loaded into a long-lived process has changed on disk since it was loaded.

A process that forks children from modules it imported once (the CLI's command server, the
supervisor forking services) must not hand stale code to a new child after an upgrade or a
developer's edit. `Fingerprint.of_loaded()` records each loaded module file's mtime and size,
outside the system's own standard library; `changed()` stats them again and names the first
that differs. That is one stat per file: ~470 files and 1.5-4 ms in the command server,
which holds the supervisor's preload and the CLI's, too much to pay before every command.

`Watched` asks the kernel instead (inotify(7) on the files' directories): the events it queued
since are read without blocking, so a check is one read(2) when nothing changed. The kernel
queues an event before the syscall that changed the file returns, so a change made before a
command's client connected is seen when its connection is accepted. The files are stat'ed once
more after the watches are set (a change between the fingerprint and the watches), and again
whenever the kernel's queue overflowed (events were lost); without inotify (no instance or
watch left), `changed()` stats every file as before.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from dataclasses import dataclass


@dataclass
class Fingerprint:
    files: dict[str, tuple[int, int]]  # path -> (mtime_ns, size)

    @classmethod
    def of_loaded(cls) -> Fingerprint:
        system = (os.path.realpath(sys.base_prefix) + os.sep, sys.base_prefix + os.sep)
        files = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and not path.startswith(system):
                stamp = _stamp(path)
                if stamp:
                    files[path] = stamp
        return cls(files)

    def changed(self) -> str:
        for path, stamp in self.files.items():
            if _stamp(path) != stamp:
                return path
        return ""


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
IN_ONLYDIR = 0x01000000
CHANGES = (
    IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
)
GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED  # the directory itself went (or its watch)
EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name


class Watched:
    """`fingerprint`'s files, whose changes the kernel reports (see the module's docstring)."""

    def __init__(self, fingerprint: Fingerprint) -> None:
        self._fingerprint = fingerprint
        self._directories: dict[int, str] = {}  # watch descriptor -> (one) directory's path
        self._names: dict[int, set[str]] = {}  # watch descriptor -> the watched names in it
        by_directory: dict[str, set[str]] = {}
        for path in fingerprint.files:
            directory, name = os.path.split(path)
            by_directory.setdefault(directory, set()).add(name)
        self._fd = _watch(by_directory, self._directories, self._names)
        self._stale = fingerprint.changed()  # a change before the watches were set

    def changed(self) -> str:
        """The first watched file found changed since the fingerprint ("" for none); once one
        is, that one every time."""
        if not self._stale:
            self._stale = self._fingerprint.changed() if self._fd < 0 else self._read()
        return self._stale

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _read(self) -> str:
        found, overflowed = "", False
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                wd, mask, _, size = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size : offset + EVENT.size + size].rstrip(b"\0")
                offset += EVENT.size + size
                overflowed = overflowed or bool(mask & IN_Q_OVERFLOW)
                directory = self._directories.get(wd)
                if found or directory is None:
                    continue
                if mask & GONE:
                    found = os.path.join(directory, min(self._names[wd]))
                elif mask & CHANGES and os.fsdecode(name) in self._names[wd]:
                    found = os.path.join(directory, os.fsdecode(name))
        if not found and overflowed:
            found = self._fingerprint.changed()
        return found


def _watch(
    by_directory: dict[str, set[str]], directories: dict[int, str], names: dict[int, set[str]]
) -> int:
    """An inotify instance watching every directory of `by_directory` (-1 when one cannot be
    had); two paths of one directory share its watch, and their names."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
    if fd < 0:
        return -1
    for directory, files in by_directory.items():
        wd = int(libc.inotify_add_watch(fd, os.fsencode(directory), CHANGES | GONE | IN_ONLYDIR))
        if wd < 0:
            os.close(fd)
            directories.clear()
            names.clear()
            return -1
        directories.setdefault(wd, directory)
        names.setdefault(wd, set()).update(files)
    return fd
