"""Files as tar entries: reading a tree into `TarInfo`s, and making one entry in a directory.

Both run inside a view (`views.py`), whose root is a container's, and take what the container
made as hostile: a FIFO is never opened for its content (it would block), a regular file is read
through the fd that was checked, a name is never looked up in /etc (owners stay numeric: no NSS,
CVE-2019-14271), and an entry is made relative to its directory's fd with O_NOFOLLOW, its owner,
mode, times and xattrs set through the fd of what was made — so a file swapped for a symlink
meanwhile is refused (ELOOP), never followed to somewhere else.

The owner is set before the mode: chown(2) clears the setuid and setgid bits.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from dockyard.api.errors import InvalidArgument

XATTR_PAX = "SCHILY.xattr."
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_TYPES = {
    stat.S_IFREG: tarfile.REGTYPE,
    stat.S_IFDIR: tarfile.DIRTYPE,
    stat.S_IFLNK: tarfile.SYMTYPE,
    stat.S_IFCHR: tarfile.CHRTYPE,
    stat.S_IFBLK: tarfile.BLKTYPE,
    stat.S_IFIFO: tarfile.FIFOTYPE,
}
_NODES = {
    tarfile.CHRTYPE: stat.S_IFCHR,
    tarfile.BLKTYPE: stat.S_IFBLK,
    tarfile.FIFOTYPE: stat.S_IFIFO,
}


@dataclass(frozen=True)
class Owner:
    """Whose the made entries are: the entry's own (None) or this uid/gid for all."""

    uid: int | None = None
    gid: int | None = None


def info_of(name: str, info: os.stat_result, link: str = "") -> tarfile.TarInfo | None:
    """The tar entry for a file of this stat (None for a socket, which tar cannot hold)."""
    kind = _TYPES.get(stat.S_IFMT(info.st_mode))
    if kind is None:
        return None
    entry = tarfile.TarInfo(name)
    entry.type = kind
    entry.mode = stat.S_IMODE(info.st_mode)
    entry.uid, entry.gid = info.st_uid, info.st_gid
    entry.uname = entry.gname = ""
    entry.mtime = int(info.st_mtime)
    entry.size = info.st_size if kind == tarfile.REGTYPE else 0
    entry.linkname = link
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        entry.devmajor, entry.devminor = os.major(info.st_rdev), os.minor(info.st_rdev)
    return entry


@contextlib.contextmanager
def opened(parent: int, name: str) -> Iterator[tuple[os.stat_result, int]]:
    """The stat of `name` in `parent`, and an fd to read it by when it is a regular file or a
    directory (-1 otherwise): the stat is the fd's, so what is read is what was checked."""
    info = os.lstat(name, dir_fd=parent)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        yield info, -1
        return
    fd = os.open(name, _READ | (os.O_DIRECTORY if stat.S_ISDIR(info.st_mode) else 0), dir_fd=parent)
    try:
        checked = os.fstat(fd)
        if stat.S_IFMT(checked.st_mode) != stat.S_IFMT(info.st_mode):  # swapped meanwhile
            raise FileNotFoundError(errno.ENOENT, "changed while read", name)
        os.set_blocking(fd, True)
        yield checked, fd
    finally:
        os.close(fd)


def xattrs(fd: int, names: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """The extended attributes of `fd` (all, or those in `names`) that can be read."""
    found = {}
    try:
        listed = os.listxattr(fd)
    except OSError:
        return {}
    for key in listed:
        if names is None or key in names:
            with contextlib.suppress(OSError):
                found[key] = os.getxattr(fd, key)
    return found


def pax_xattrs(entry: tarfile.TarInfo) -> dict[str, bytes]:
    return {
        key.removeprefix(XATTR_PAX): value.encode("utf-8", "surrogateescape")
        for key, value in entry.pax_headers.items()
        if key.startswith(XATTR_PAX)
    }


def with_xattrs(entry: tarfile.TarInfo, found: dict[str, bytes]) -> tarfile.TarInfo:
    headers = {XATTR_PAX + k: v.decode("utf-8", "surrogateescape") for k, v in found.items()}
    entry.pax_headers = {**entry.pax_headers, **headers}
    return entry


@dataclass(frozen=True)
class Rules:
    """How `make` treats what is already there (docker's Untar options)."""

    owner: Owner = Owner()
    no_overwrite_dir_non_dir: bool = False


def make(
    parent: int,
    name: str,
    entry: tarfile.TarInfo,
    content: IO[bytes] | None,
    rules: Rules,
    link_source: tuple[int, str] | None = None,
) -> int:
    """Make `entry` as `name` in the directory `parent`; for a directory, an fd on it (the
    caller sets its times once its content is made, and closes it), else -1.
    `link_source` is (directory fd, name) of a hardlink's target."""
    existing = _lstat(parent, name)
    if existing is not None:
        _clear(parent, name, entry, existing, rules)
    if entry.isdir():
        if existing is None or not stat.S_ISDIR(existing.st_mode):
            os.mkdir(name, 0o700, dir_fd=parent)
        fd = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent
        )
        settle(fd, entry, rules.owner)
        return fd
    if entry.isreg():
        _write(parent, name, entry, content, rules.owner)
    elif entry.issym():
        os.symlink(entry.linkname, name, dir_fd=parent)
        _own_link(parent, name, entry, rules.owner)
    elif entry.islnk():
        if link_source is None:
            raise InvalidArgument(f"invalid hardlink {entry.name} -> {entry.linkname}")
        source_dir, source = link_source
        os.link(source, name, src_dir_fd=source_dir, dst_dir_fd=parent, follow_symlinks=False)
    elif entry.type in _NODES:
        # made with its mode at once (the thread's umask is 0): Linux has no lchmod, and a
        # chmod of the name would follow a symlink swapped in for it
        device = os.makedev(entry.devmajor, entry.devminor) if entry.ischr() or entry.isblk() else 0
        os.mknod(name, _NODES[entry.type] | (entry.mode & 0o777), device, dir_fd=parent)
        _own_link(parent, name, entry, rules.owner)
    return -1


def set_times(fd: int, entry: tarfile.TarInfo) -> None:
    os.utime(fd, (entry.mtime, entry.mtime))


def _lstat(parent: int, name: str) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=parent)
    except FileNotFoundError:
        return None


def _clear(
    parent: int, name: str, entry: tarfile.TarInfo, existing: os.stat_result, rules: Rules
) -> None:
    is_dir = stat.S_ISDIR(existing.st_mode)
    if rules.no_overwrite_dir_non_dir and is_dir and not entry.isdir():
        raise InvalidArgument(f'cannot overwrite directory "{entry.name}" with non-directory')
    if rules.no_overwrite_dir_non_dir and not is_dir and entry.isdir():
        raise InvalidArgument(f'cannot overwrite non-directory "{entry.name}" with directory')
    if is_dir and not entry.isdir():
        shutil.rmtree(name, dir_fd=parent)
    elif not is_dir:
        os.unlink(name, dir_fd=parent)


def _write(
    parent: int, name: str, entry: tarfile.TarInfo, content: IO[bytes] | None, owner: Owner
) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=parent)
    try:
        if content is not None:
            with os.fdopen(os.dup(fd), "wb") as out:
                shutil.copyfileobj(content, out, 1 << 20)
        settle(fd, entry, owner)
        set_times(fd, entry)
    finally:
        os.close(fd)


def settle(fd: int, entry: tarfile.TarInfo, owner: Owner) -> None:
    """Owner, then mode (chown clears setuid), then xattrs, through the made file's fd."""
    uid = entry.uid if owner.uid is None else owner.uid
    gid = entry.gid if owner.gid is None else owner.gid
    os.fchown(fd, uid, gid)
    os.fchmod(fd, entry.mode & 0o7777)
    for key, value in pax_xattrs(entry).items():
        with contextlib.suppress(OSError):  # a filesystem without xattrs, an unknown namespace
            os.setxattr(fd, key, value)


def _own_link(parent: int, name: str, entry: tarfile.TarInfo, owner: Owner) -> None:
    uid = entry.uid if owner.uid is None else owner.uid
    gid = entry.gid if owner.gid is None else owner.gid
    os.chown(name, uid, gid, dir_fd=parent, follow_symlinks=False)
    with contextlib.suppress(OSError):
        os.utime(name, (entry.mtime, entry.mtime), dir_fd=parent, follow_symlinks=False)
