"""Extraction of a tar into a container's directory (docker's PUT archive), inside a view.

The target directory is resolved fully (symlinks too), then each entry is made relative to its
directory's fd, the entry's path resolved as if the target were the root: docker extracts in a
chroot of the target, so a symlink on the way (the tar's or the container's) leads below the
target, `..` never climbs above it, and a relative link pointing above it is refused. A path in
a read-only volume, or in a read-only rootfs outside any volume, is refused in docker's words
before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import lzma
import os
import stat
import tarfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from dockyard.api.errors import (
    DockyardError,
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
)
from dockyard.services.snapshots.volumes import archive, entries
from dockyard.services.snapshots.volumes.entries import Owner, Rules

MAX_SYMLINKS = 40  # as the kernel's path walk (path_resolution(7))


@dataclass(frozen=True)
class ExtractOptions:
    copy_uid_gid: bool = False
    no_overwrite_dir_non_dir: bool = False
    read_only_rootfs: bool = False
    mounts: tuple[tuple[str, bool], ...] = ()  # (target, read-only) of volumes and binds


def extract(path: str, stream: BinaryIO, options: ExtractOptions, container: str) -> None:
    """Extract the tar `stream` into the directory `path` (resolved fully, symlinks too)."""
    absolute, _ = archive.split(path)
    target = os.path.realpath(absolute)
    if not stat.S_ISDIR(archive.lstat_path(target, path, container).st_mode):
        raise InvalidArgument("extraction point is not a directory")
    check_writable(target, options)
    owner = Owner() if options.copy_uid_gid else Owner(0, 0)
    rules = Rules(owner, options.no_overwrite_dir_non_dir)
    top = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as tar:
            _Extraction(top, rules).run(tar)
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as err:
        raise InvalidArgument(f"Error processing tar file: {err or type(err).__name__}") from None
    except OSError as err:
        raise _os_error(err) from None
    finally:
        os.close(top)


def check_writable(target: str, options: ExtractOptions) -> None:
    """docker's rule: a path in a volume needs a writable volume; any other path a writable
    rootfs (moby's checkIfPathIsInAVolume, on the resolved path)."""
    found, read_only = "", options.read_only_rootfs
    for mount_target, mount_read_only in options.mounts:
        resolved = os.path.realpath(mount_target)
        inside = target == resolved or target.startswith(resolved.rstrip("/") + "/")
        if inside and len(resolved) >= len(found):
            found, read_only = resolved, mount_read_only
    if read_only and found:
        raise FailedPrecondition("mounted volume is marked read-only")
    if read_only:
        raise FailedPrecondition("container rootfs is marked read-only")


def _os_error(err: OSError) -> DockyardError:
    where = f": {err.filename}" if err.filename else ""
    if err.errno == errno.ENOSPC:
        return ResourceExhausted("no space left on device")
    if err.errno == errno.EROFS:
        return FailedPrecondition(f"read-only file system{where}")
    if err.errno is None:  # gzip's BadGzipFile and the like
        return InvalidArgument(f"Error processing tar file: {err}")
    return InvalidArgument(f"Error processing tar file: {os.strerror(err.errno)}{where}")


class _Extraction:
    """One tar's entries made below the directory `top` (an fd), never outside it."""

    def __init__(self, top: int, rules: Rules) -> None:
        self._top = top
        self._rules = rules
        self._dirs: list[tuple[int, tarfile.TarInfo]] = []

    def run(self, tar: tarfile.TarFile) -> None:
        try:
            for entry in tar:
                self._one(tar, entry)
            for fd, entry in reversed(self._dirs):  # after their content: its making moved them
                entries.set_times(fd, entry)
        finally:
            for fd, _ in self._dirs:
                os.close(fd)

    def _one(self, tar: tarfile.TarFile, entry: tarfile.TarInfo) -> None:
        parts = _parts(entry.name)
        if not parts:
            return  # "." is the target itself: left as it is (docker's)
        if entry.issym() and _climbs(parts[:-1], entry.linkname):
            raise InvalidArgument(f'invalid symlink "{entry.name}" -> "{entry.linkname}"')
        with contextlib.ExitStack() as fds:
            link_source = None
            if entry.islnk():
                link_parts = _parts(entry.linkname)
                if not link_parts:
                    raise InvalidArgument(f'invalid hardlink "{entry.name}" -> "{entry.linkname}"')
                source_dir = below(self._top, link_parts[:-1], create=False)
                fds.callback(os.close, source_dir)
                link_source = (source_dir, link_parts[-1])
            parent = below(self._top, parts[:-1], create=True)
            fds.callback(os.close, parent)
            content = tar.extractfile(entry) if entry.isreg() else None
            made = entries.make(parent, parts[-1], entry, content, self._rules, link_source)
            if made >= 0:
                self._dirs.append((made, entry))


def below(top: int, parts: list[str], create: bool) -> int:
    """An fd on the directory `parts` names below `top`, resolved as if `top` were the root
    (docker extracts in a chroot of the target): a symlink on the way is followed there, an
    absolute one from `top`, and `..` never climbs above it. Missing directories are made
    (0755) when `create` says so."""
    todo, stack, hops = list(parts), [os.dup(top)], 0
    try:
        while todo:
            part = todo.pop(0)
            if part == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            fd = _open_below(stack[-1], part, create)
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                os.close(fd)
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), "/".join(parts))
                text = os.readlink(part, dir_fd=stack[-1])
                while text.startswith("/") and len(stack) > 1:
                    os.close(stack.pop())
                todo = [p for p in text.split("/") if p not in ("", ".")] + todo
                continue
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), "/".join(parts))
            stack.append(fd)
        return stack.pop()
    finally:
        for fd in stack:
            os.close(fd)


def _open_below(parent: int, name: str, create: bool) -> int:
    flags = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(name, flags, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o755, dir_fd=parent)
    return os.open(name, flags, dir_fd=parent)


def _parts(name: str) -> list[str]:
    """The entry's path below the target; InvalidArgument when it would climb out of it."""
    parts: list[str] = []
    for part in name.split("/"):
        if part == "..":
            if not parts:
                raise InvalidArgument(f'invalid tar entry "{name}": outside of the target')
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return parts


def _climbs(directory: list[str], link: str) -> bool:
    """A relative link that leads above the target (docker refuses it; absolute ones stay in
    the container's root, which is where the kernel resolves them)."""
    if link.startswith("/"):
        return False
    try:
        _parts("/".join([*directory, link]))
    except InvalidArgument:
        return True
    return False
