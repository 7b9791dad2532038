"""The filling of an empty volume from what a container's image has at the volume's target
(docker's copy-up), inside a view of the container's layer.

The source is resolved inside the view's root (the container's); the volume is written through
directory fds opened before, outside that root, and only below them: entries are made there as
they are read, with their modes, owners, times and xattrs (all of them, as containerd's
CopyDir), hardlinks made again as hardlinks, sockets skipped.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile

from dockyard.services.snapshots.volumes import entries
from dockyard.services.snapshots.volumes.entries import Owner, Rules


def copy_tree(path: str, destination: int) -> bool:
    """Copy the directory at `path` (resolved inside the root) into the empty directory
    `destination` (an fd, possibly outside the root): content, modes, owners, times, xattrs.
    False when there is no directory at `path`."""
    try:
        source = os.open(os.path.realpath(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        top = entries.info_of(".", os.fstat(source))
        assert top is not None
        entries.with_xattrs(top, entries.xattrs(source))
        entries.settle(destination, top, Owner())  # the volume's root takes the directory's
        with _Copy() as copy:
            copy.children(source, destination)
        entries.set_times(destination, top)
    finally:
        os.close(source)
    return True


class _Copy:
    """A tree copied entry by entry; hardlinks made again as hardlinks (through an fd on the
    directory of the first one, never a path that could be swapped under us)."""

    def __init__(self) -> None:
        self._links: dict[tuple[int, int], tuple[int, str]] = {}
        self._held: list[int] = []

    def __enter__(self) -> _Copy:
        return self

    def __exit__(self, *_: object) -> None:
        for fd in self._held:
            os.close(fd)

    def children(self, source: int, destination: int) -> None:
        held = -1
        for name in sorted(os.listdir(source)):
            try:
                with entries.opened(source, name) as (info, fd):
                    if self._one(source, destination, name, info, fd) and held < 0:
                        held = os.dup(destination)
                        self._held.append(held)
                    if info.st_nlink > 1 and stat.S_ISREG(info.st_mode):
                        self._links.setdefault((info.st_dev, info.st_ino), (held, name))
            except FileNotFoundError:
                continue

    def _one(self, source: int, destination: int, name: str, info: os.stat_result, fd: int) -> bool:
        """Make one entry (and what is below it); True when it is a first hardlink."""
        link = os.readlink(name, dir_fd=source) if stat.S_ISLNK(info.st_mode) else ""
        entry = entries.info_of(name, info, link)
        if entry is None:
            return False
        key = (info.st_dev, info.st_ino)
        if entry.isreg() and info.st_nlink > 1 and key in self._links:
            entry.type = tarfile.LNKTYPE
            entries.make(destination, name, entry, None, Rules(), self._links[key])
            return False
        if fd >= 0:
            entries.with_xattrs(entry, entries.xattrs(fd))
        with contextlib.ExitStack() as stack:
            content = stack.enter_context(os.fdopen(os.dup(fd), "rb")) if entry.isreg() else None
            made = entries.make(destination, name, entry, content, Rules())
        if made >= 0:
            try:
                self.children(fd, made)
                entries.set_times(made, entry)
            finally:
                os.close(made)
        return entry.isreg() and info.st_nlink > 1
