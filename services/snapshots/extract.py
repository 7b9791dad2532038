"""Applies a layer tarball to a snapshot's upper directory, never touching anything outside it.

Whiteouts become overlayfs whiteouts (`.wh.x` → a 0/0 character device at `x`; `.wh..wh..opq`
→ the `trusted.overlay.opaque=y` xattr on the directory), so the overlay mount shows the layer
exactly as docker would. The uncompressed stream is hashed as it is read (the layer's diff ID).

Safety: the extractor never follows a symlink on the host. Every path is resolved component by
component with directory file descriptors (`O_NOFOLLOW`); a symlink met on the way is read and
resolved *inside* the snapshot, as if it were `/` (absolute and climbing links stay in). Every
file is created relative to its parent's descriptor and changed with `follow_symlinks=False`.
A name or a hardlink target that climbs out with `..` rejects the whole layer: such a layer was
made to attack, and docker refuses it too. A hardlink to a file of a parent layer copies it up.

Bad layers fail with one line in docker's words ("failed to register layer: …"): a whiteout
that names no file (`.wh.`, `.wh..`, `.wh...`), an xattr the kernel refuses (a junk
`security.capability`), an owner or time out of range, any other refusal of the filesystem
(InvalidArgument); a full disk is ResourceExhausted. AUFS metadata (`.wh..wh.*` other than the
opaque marker) is skipped as docker skips it, and `trusted.overlay.*` xattrs are never taken
from a layer: only whiteouts and opaque markers speak to overlayfs.

Cost per file: the directories a layer writes into are walked once and their descriptors kept
(all dropped whenever a directory or a symlink is removed: a kept path could lead elsewhere
then); a regular file is made with one `open(O_CREAT|O_EXCL)` (what was there is removed only
when that finds the name taken) and given its owner, mode, xattrs and times through its
descriptor: 5 syscalls a file where a walk per entry took 14.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, TypeVar

from dockyard.api.errors import DockyardError, InvalidArgument, ResourceExhausted

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
AUFS_META = ".wh..wh."
OVERLAY_XATTRS = "trusted.overlay."
FULL = (errno.ENOSPC, errno.EDQUOT)
OPAQUE_XATTR = "trusted.overlay.opaque"
MAX_SYMLINKS = 40
CHUNK = 1 << 20
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
OPEN_DIRS = 64  # directory descriptors kept at most (a layer writes into few at a time)
T = TypeVar("T")


class Escape(InvalidArgument):
    """A tar entry tried to reach outside the snapshot."""


class HashingReader:
    """Reads a stream through, hashing (sha256) and counting what passes."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def split(name: str) -> list[str]:
    """The components of a tar name, relative to the root; Escape when `..` climbs out."""
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise Escape(f'entry "{name}" escapes the root')
            parts.pop()
        else:
            parts.append(part)
    return parts


@dataclass
class Extractor:
    root: Path  # the snapshot's upper directory
    lowers: list[Path] = field(default_factory=list)  # parent layers' dirs, nearest first
    _dir_times: list[tuple[list[str], int]] = field(default_factory=list)
    _dirs: dict[tuple[str, ...], int] = field(default_factory=dict)  # open, by path in the tar
    _retired: list[int] = field(default_factory=list)  # closed once the entry is done

    def apply(self, tar: tarfile.TarFile) -> None:
        try:
            for member in tar:
                self._entry(tar, member)
            for parts, mtime in reversed(self._dir_times):
                with contextlib.suppress(OSError):  # gone since (a later entry replaced it)
                    fd, name = self._parent(parts, create=False)
                    os.utime(name, ns=(mtime, mtime), dir_fd=fd, follow_symlinks=False)
        finally:
            self._forget_dirs()
            self._close_retired()

    # -- one entry ----------------------------------------------------------------------------

    def _entry(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        """Apply one entry; whatever the filesystem refuses becomes one clear line."""
        try:
            self._apply(tar, member)
        except DockyardError:
            raise
        except OSError as err:
            if err.errno in FULL:
                raise ResourceExhausted(
                    "failed to register layer: no space left on device"
                ) from None
            reason = (err.strerror or str(err)).lower()
            raise InvalidArgument(f'failed to register layer: "{member.name}": {reason}') from None
        except (ValueError, OverflowError) as err:
            raise InvalidArgument(f'failed to register layer: "{member.name}": {err}') from None
        finally:
            self._close_retired()

    def _apply(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        parts = split(member.name)
        if not parts:
            return  # "./": the root itself
        base = parts[-1]
        if base == OPAQUE:
            fd, _ = self._parent([*parts[:-1], "."])
            os.setxattr(fd, OPAQUE_XATTR, b"y")
            return
        if any(part.startswith(AUFS_META) for part in parts):
            return  # AUFS hardlink metadata: docker skips it too
        if base.startswith(WHITEOUT):
            self._whiteout(member, parts)
            return
        fd, name = self._parent(parts)
        if member.isreg():
            self._regular(tar, member, fd, name)
            return
        self._create(member, parts, fd, name)
        if not member.islnk():  # a hard link shares its target's inode and attributes
            self._attributes(member, fd, name)

    def _whiteout(self, member: tarfile.TarInfo, parts: list[str]) -> None:
        hidden = parts[-1][len(WHITEOUT) :]
        if hidden in ("", ".", ".."):
            raise InvalidArgument(
                f'failed to register layer: invalid whiteout "{member.name}": it names no file'
            )
        fd, name = self._parent([*parts[:-1], hidden])
        self._fresh(
            fd, name, lambda: os.mknod(name, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=fd)
        )

    def _regular(self, tar: tarfile.TarFile, member: tarfile.TarInfo, fd: int, name: str) -> None:
        """A regular file: made, filled and given its attributes through one descriptor."""
        source = tar.extractfile(member)
        assert source is not None
        out = self._fresh(fd, name, lambda: os.open(name, NEW_FILE, 0o600, dir_fd=fd))
        try:
            _copy(source, out)
            os.fchown(out, member.uid, member.gid)
            os.fchmod(out, member.mode & 0o7777)  # after chown: it clears set-id bits
            for key, value in _xattrs(member):
                _set_xattr(out, member.name, key, value)
            mtime = int(member.mtime * 1e9)
            os.utime(out, ns=(mtime, mtime))
        finally:
            os.close(out)

    def _create(self, member: tarfile.TarInfo, parts: list[str], fd: int, name: str) -> None:
        if member.isdir():
            try:
                if not stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    self._remove(fd, name)
                    os.mkdir(name, 0o755, dir_fd=fd)
            except FileNotFoundError:
                os.mkdir(name, 0o755, dir_fd=fd)
            self._dir_times.append((parts, int(member.mtime * 1e9)))
        elif member.issym():
            self._fresh(fd, name, lambda: os.symlink(member.linkname, name, dir_fd=fd))
        elif member.islnk():
            self._hardlink(member, fd, name)
        elif member.ischr() or member.isblk():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            device = os.makedev(member.devmajor, member.devminor)
            mode = kind | (member.mode & 0o7777)
            self._fresh(fd, name, lambda: os.mknod(name, mode, device, dir_fd=fd))
        elif member.isfifo():
            self._fresh(fd, name, lambda: os.mkfifo(name, member.mode & 0o7777, dir_fd=fd))
        else:
            raise InvalidArgument(f'entry "{member.name}" has an unsupported type {member.type!r}')

    def _hardlink(self, member: tarfile.TarInfo, fd: int, name: str) -> None:
        target = split(member.linkname)
        if not target:
            raise Escape(f'hardlink "{member.name}" points at the root')
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            source_fd, source = self._parent(target, create=False)
            self._fresh(
                fd,
                name,
                lambda: os.link(
                    source, name, src_dir_fd=source_fd, dst_dir_fd=fd, follow_symlinks=False
                ),
            )
            return
        for lower in self.lowers:  # a file of a parent layer: copy it up
            with _scoped_file(lower, target) as found:
                if found is not None:
                    self._copy_up(found, fd, name)
                    return
        raise InvalidArgument(
            f'hardlink "{member.name}" points at "{member.linkname}", which does not exist'
        )

    def _copy_up(self, found: BinaryIO, fd: int, name: str) -> None:
        mode = os.fstat(found.fileno()).st_mode
        out = self._fresh(fd, name, lambda: os.open(name, NEW_FILE, 0o600, dir_fd=fd))
        try:
            _copy(found, out)
            os.fchmod(out, mode & 0o7777)
        finally:
            os.close(out)

    def _attributes(self, member: tarfile.TarInfo, fd: int, name: str) -> None:
        os.chown(name, member.uid, member.gid, dir_fd=fd, follow_symlinks=False)
        if not member.issym():
            os.chmod(name, member.mode & 0o7777, dir_fd=fd)  # after chown: it clears set-id bits
        for key, value in _xattrs(member):
            with _opened(fd, name) as target:
                if target is not None:
                    _set_xattr(target, member.name, key, value)
        if not member.isdir():
            mtime = int(member.mtime * 1e9)
            os.utime(name, ns=(mtime, mtime), dir_fd=fd, follow_symlinks=False)

    # -- what is there already ------------------------------------------------------------------

    def _fresh(self, fd: int, name: str, make: Callable[[], T]) -> T:
        """`make()` the entry `name`, replacing whatever an earlier entry or layer left there."""
        try:
            return make()
        except FileExistsError:
            self._remove(fd, name)
            return make()

    def _remove(self, fd: int, name: str) -> None:
        if _remove(fd, name) in ("dir", "symlink"):
            self._forget_dirs()  # a kept path may have run through what went

    # -- safe path resolution -------------------------------------------------------------------

    def _parent(self, parts: list[str], create: bool = True) -> tuple[int, str]:
        """A descriptor of the directory holding `parts[-1]` (created as needed) and the name.
        It is kept for the next entries: the caller does not close it."""
        key = tuple(parts[:-1])
        fd = self._dirs.get(key)
        if fd is None:
            if len(self._dirs) >= OPEN_DIRS:
                self._forget_dirs()
            fd = self._dirs[key] = _walk(self.root, parts[:-1], create=create)
        return fd, parts[-1]

    def _forget_dirs(self) -> None:
        """Walk afresh from now on (descriptors in use close once their entry is done)."""
        self._retired.extend(self._dirs.values())
        self._dirs.clear()

    def _close_retired(self) -> None:
        while self._retired:
            os.close(self._retired.pop())


def _walk(root: Path, parts: list[str], create: bool) -> int:
    """Open the directory `parts` under `root`, symlinks resolved inside `root`."""
    todo, stack, hops = list(parts), [os.open(root, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)], 0
    try:
        while todo:
            part = todo.pop(0)
            if part == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            if part == ".":
                continue
            try:
                fd = os.open(
                    part,
                    os.O_DIRECTORY | os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                    dir_fd=stack[-1],
                )
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o755, dir_fd=stack[-1])
                fd = os.open(
                    part,
                    os.O_DIRECTORY | os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                    dir_fd=stack[-1],
                )
            except OSError as err:
                if err.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                info = os.stat(part, dir_fd=stack[-1], follow_symlinks=False)
                if not stat.S_ISLNK(info.st_mode):  # a file where a directory should be
                    _remove(stack[-1], part)
                    todo.insert(0, part)
                    continue
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise InvalidArgument("too many levels of symbolic links in a layer") from None
                link = os.readlink(part, dir_fd=stack[-1])
                if link.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo = [p for p in link.split("/") if p] + todo
                continue
            stack.append(fd)
        result = stack.pop()
        return result
    finally:
        for fd in stack:
            os.close(fd)


@contextlib.contextmanager
def _scoped_file(root: Path, parts: list[str]) -> Iterator[BinaryIO | None]:
    """The regular file `parts` under `root` (symlinks resolved inside it), open, or None."""
    try:
        fd = _walk(root, parts[:-1], create=False)
    except OSError:
        yield None
        return
    try:
        opened = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
    except OSError:
        yield None
        return
    finally:
        os.close(fd)
    with os.fdopen(opened, "rb") as source:
        yield source if stat.S_ISREG(os.fstat(opened).st_mode) else None


@contextlib.contextmanager
def _opened(fd: int, name: str) -> Iterator[int | None]:
    try:
        target = os.open(
            name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=fd
        )
    except OSError:
        yield None  # a symlink or a device: no xattrs on it from us
        return
    try:
        yield target
    finally:
        os.close(target)


def _xattrs(member: tarfile.TarInfo) -> Iterator[tuple[str, str]]:
    for key, value in (member.pax_headers or {}).items():
        if key.startswith("SCHILY.xattr."):
            yield key[len("SCHILY.xattr.") :], value


def _set_xattr(target: int, path: str, key: str, value: str) -> None:
    if key.startswith(OVERLAY_XATTRS):
        return  # overlayfs' own (opaque, redirect, metacopy): never from a layer
    try:
        os.setxattr(target, key, value.encode("utf-8", "surrogateescape"))
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EPERM):
            return  # as docker: not every filesystem takes every xattr
        if err.errno in FULL:
            raise
        reason = (err.strerror or str(err)).lower()
        raise InvalidArgument(
            f"failed to register layer: lsetxattr {key} /{'/'.join(split(path))}: {reason}"
        ) from None


def _remove(fd: int, name: str) -> str:
    """Remove whatever `name` is in the directory `fd` (a tree, recursively), if anything;
    what it was: "dir", "symlink", "other", or "" for nothing."""
    try:
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return ""
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=fd)
        return "dir"
    os.unlink(name, dir_fd=fd)
    return "symlink" if stat.S_ISLNK(info.st_mode) else "other"


def _copy(source: IO[bytes], out: int) -> None:
    while data := source.read(CHUNK):
        view = memoryview(data)
        while view:  # a write may take only part of it
            view = view[os.write(out, view) :]
