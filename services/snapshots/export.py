"""`docker export`: a snapshot's whole filesystem as one tar — what overlayfs would show,
computed from the layer directories themselves, so nothing is mounted (a running container's
snapshot is read where it lies).

    for each directory, top layer first:  a name seen in a higher layer hides the same name
    below; a whiteout (a 0/0 character device) hides it and shows nothing; a directory marked
    opaque (trusted.overlay.opaque=y) hides everything below it in lower layers

Entries are named as docker's export names them ("bin/", "etc/passwd"), hard links inside one
layer stay hard links, and overlay's own xattrs are left out. The layers may belong to a
running (hostile) container: every directory is opened relative to its parent's descriptor
with O_NOFOLLOW, so nothing is read through a symlink.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

from dockyard.services.snapshots.diff import DIR_FLAGS, OPAQUE_XATTR, Entry, Sink, _info, _Links


def write_tar(layers: tuple[Path, ...], out: Sink) -> int:
    """Write the merged view of `layers` (top first) to `out` as a tar; entries written."""
    with contextlib.ExitStack() as stack:
        fds = []
        for layer in layers:
            fd = os.open(layer, DIR_FLAGS)
            stack.callback(os.close, fd)
            fds.append(fd)
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            return _directory(tar, _below_opaque(fds), "", _Links())


def _directory(tar: tarfile.TarFile, fds: list[int], prefix: str, links: _Links) -> int:
    written = 0
    for name, (fd, info) in sorted(_merged(fds).items()):
        path = prefix + name
        entry = _info(Entry(path, "A", info), fd, name)
        if stat.S_ISDIR(info.st_mode):
            entry.name = path + "/"
            tar.addfile(entry)
            with _opened(fds, fd, name) as below:
                written += 1 + _directory(tar, below, path + "/", links)
            continue
        if info.st_nlink > 1 and entry.type == tarfile.REGTYPE:
            links.share(entry, info)
        if entry.type == tarfile.REGTYPE:
            data = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            with os.fdopen(data, "rb") as source:
                tar.addfile(entry, source)
        else:
            tar.addfile(entry)
        written += 1
    return written


def _merged(fds: list[int]) -> dict[str, tuple[int, os.stat_result]]:
    """What the directory shows: name → (the layer's fd it comes from, its stat)."""
    seen: set[str] = set()
    shown: dict[str, tuple[int, os.stat_result]] = {}
    for fd in fds:
        for name in os.listdir(fd):
            if name in seen:
                continue
            seen.add(name)
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if not _whiteout(info):
                shown[name] = (fd, info)
    return shown


@contextlib.contextmanager
def _opened(fds: list[int], top: int, name: str) -> Iterator[list[int]]:
    """The directory `name` in the layer `top` and in each layer below it where it is also a
    directory, down to the first opaque one (or one where it is not a directory)."""
    opened: list[int] = []
    try:
        for fd in fds[fds.index(top) :]:
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                continue  # not in this layer: the layers below still show theirs
            except OSError:
                break  # a file, a link or a whiteout here hides the layers below
            opened.append(child)
            if _opaque(child):
                break
        yield opened
    finally:
        for fd in opened:
            os.close(fd)


def _below_opaque(fds: list[int]) -> list[int]:
    for i, fd in enumerate(fds):
        if _opaque(fd):
            return fds[: i + 1]
    return fds


def _opaque(fd: int) -> bool:
    try:
        return os.getxattr(fd, OPAQUE_XATTR) == b"y"
    except OSError:
        return False


def _whiteout(info: os.stat_result) -> bool:
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == 0
