"""Space set aside on the root's filesystem, so the engine's records can still be written when
a container has filled it (its writable layer, its log and the records share one disk).

A file of `SIZE` bytes is allocated beside the database (posix_fallocate(3): real blocks, not
a sparse file). When a write fails for want of space, `release()` deletes it and the write is
tried once more: an exit, a stop, a removal get recorded, and the removal of the container that
filled the disk gives the space back. `restore()` allocates the file again once there is room
for it and as much again. A container still writing can take the released space first; then
the write fails after all, with a clear error (`ResourceExhausted`), and nothing half-written.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

SIZE = 8 * 1024 * 1024  # a few thousand record writes, and the WAL checkpoints between them


class Reserve:
    def __init__(self, path: Path, size: int = SIZE) -> None:
        self._path = path
        self._size = size
        self.held = False
        self.restore()

    def release(self) -> bool:
        """Give the space back to the filesystem; False if there was none held."""
        if not self.held:
            return False
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
        self.held = False
        log.warning("the disk of %s is full: the engine's reserve was used", self._path.parent)
        return True

    def restore(self) -> None:
        """Allocate the reserve again if the filesystem has room for it twice over."""
        if self.held:
            return
        try:
            if self._allocated():  # kept from the engine's last run
                self.held = True
                return
            stat = os.statvfs(self._path.parent)
            if stat.f_bavail * stat.f_frsize < 2 * self._size:
                return
            fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.posix_fallocate(fd, 0, self._size)
            finally:
                os.close(fd)
            self.held = True
        except OSError as err:  # no room after all: stay without one and try again later
            log.info("no reserve on %s yet: %s", self._path.parent, err)
            with contextlib.suppress(OSError):
                self._path.unlink()

    def _allocated(self) -> bool:
        try:
            return self._path.stat().st_blocks * 512 >= self._size
        except FileNotFoundError:
            return False
