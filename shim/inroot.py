"""Paths inside a container's rootfs, resolved by an fd-relative walk that never leaves it.

Every path the set-up touches inside a rootfs — mount targets, device nodes, the /dev links,
masked and read-only paths, the working directory, the image's /etc files — is shaped by the
image: any component may be a symlink, absolute or climbing (`../../..`), planted to lead out
to the host. Joining strings (`rootfs / "dev" / "null"`) lets the host's kernel follow it.

    with Root(bundle / "rootfs") as root:
        with root.target("/dev/null", create="file") as target:   # "/proc/self/fd/N"
            sys.mount("/dev/null", target, "", MS_BIND, "")

`Root.open` walks one component at a time: `openat(parent, name, O_PATH|O_NOFOLLOW)`; a
symlink's text is read and spliced into the rest of the path, walked again from the root (an
absolute link) or from its directory; `..` pops back to the directory we came from and never
above the root. That is openat2(2)'s RESOLVE_IN_ROOT done in user space, with the one thing
openat2 cannot do: creating what is missing (a mount point, a device node) inside the root too.
A magic link (/proc/self/root, /proc/<pid>/fd/N) is never jumped through: it is read as the
text it shows, like any other link (RESOLVE_NO_MAGICLINKS).

The walk ends in an O_PATH fd, and a mount goes onto `/proc/self/fd/N` (as runc does), so the
kernel never walks the path string again: a directory swapped for a symlink after the walk
changes nothing. A second operation on the new mount (remount read-only, propagation) opens
the path again, which then ends on the mount's root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

Create = Literal["", "dir", "file"]
MAX_SYMLINKS = 40  # as the kernel's path walk (path_resolution(7))
_OPEN = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


def fd_path(fd: int) -> str:
    """A path naming the file `fd` is open on, for calls that take paths (mount(2))."""
    return f"/proc/self/fd/{fd}"


class Root:
    """An open rootfs: an O_PATH fd on its top directory, and walks that stay below it."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.fd = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)

    def __enter__(self) -> Root:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def open(self, path: str, create: Create = "", mode: int = 0o755) -> int:
        """An O_PATH fd on `path` resolved inside the root; what is missing is made when
        `create` says so (directories on the way, and a directory or empty file at the end),
        else FileNotFoundError. The caller closes the fd."""
        return _walk(self.fd, path, create, mode)

    @contextlib.contextmanager
    def target(self, path: str, create: Create = "") -> Iterator[str]:
        """`/proc/self/fd/N` for `path` resolved inside the root, while the block runs."""
        fd = self.open(path, create)
        try:
            yield fd_path(fd)
        finally:
            os.close(fd)

    def symlink(self, directory: str, name: str, text: str) -> None:
        """Make the link `name` → `text` in `directory` (resolved inside the root); an
        existing entry of that name is left alone."""
        parent = self.open(directory, "dir")
        try:
            with contextlib.suppress(FileExistsError):
                os.symlink(text, name, dir_fd=parent)
        finally:
            os.close(parent)

    def read(self, path: str, limit: int = 1 << 20) -> bytes:
        """The first `limit` bytes of the regular file `path` (a FIFO or a device planted
        there would block or never end: OSError instead)."""
        fd = self.open(path)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, f"{path} is not a regular file")
            readable = os.open(fd_path(fd), os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC)
        finally:
            os.close(fd)
        try:
            return os.read(readable, limit)
        finally:
            os.close(readable)


def _walk(root: int, path: str, create: Create, mode: int) -> int:
    todo = _parts(path)
    stack = [os.dup(root)]  # the directories walked through, the root first
    hops = 0
    try:
        while todo:
            name = todo.pop(0)
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            try:
                fd = _step(stack[-1], name, create if not todo else ("dir" if create else ""), mode)
            except FileNotFoundError:
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path) from None
            kind = stat.S_IFMT(os.fstat(fd).st_mode)
            if kind == stat.S_IFLNK:
                os.close(fd)
                text = os.readlink(name, dir_fd=stack[-1])
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
                if text.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo = _parts(text) + todo
                continue
            stack.append(fd)
            if todo and kind != stat.S_IFDIR:
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        return stack.pop()
    finally:
        for fd in stack:
            os.close(fd)


def _step(parent: int, name: str, create: Create, mode: int) -> int:
    """`name` in `parent` opened O_PATH without following it; made first if missing and asked."""
    try:
        return os.open(name, _OPEN, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):  # made meanwhile: open whatever is there now
        if create == "dir":
            os.mkdir(name, mode, dir_fd=parent)
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            os.close(os.open(name, flags, 0o644, dir_fd=parent))
    return os.open(name, _OPEN, dir_fd=parent)


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]
