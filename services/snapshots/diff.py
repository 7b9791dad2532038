"""The changes of an active snapshot, read from its overlay upper directory: as a list (`docker
diff`: A added, C changed, D deleted) and as a layer tar (a build step, `docker commit`).

    upper entry                           change   in the layer tar
    a 0/0 character device (a whiteout)   D        `dir/.wh.name`, an empty file
    a directory with trusted.overlay.opaque C/A    the directory, then `dir/.wh..wh..opq`
    anything else                         A or C   itself (C when a parent layer has the path)

Mount stubs: the runtime makes mount points a container's image lacks (/proc, /etc/hosts, a
RUN --mount target), and docker's init files (/.dockerenv, the /etc/mtab link). Such a stub —
absent below, left empty (or a link) — is not a change, nor is a
directory made only to hold one, nor a directory copied up unchanged (same mode and owner)
that holds nothing else. `remove_stubs` deletes them from the upper directory once the
container is gone, so the committed snapshot is exactly what its layer tar holds.

The upper directory may belong to a running container (hostile): it is walked with directory
file descriptors and O_NOFOLLOW, so nothing is ever read through a symlink it plants.
Overlay's redirect_dir and metacopy features would make the upper directory incomplete; a
snapshot using them is refused rather than diffed wrongly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dockyard.api.errors import FailedPrecondition

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
OVERLAY_PREFIX = "trusted.overlay."
OPAQUE_XATTR = "trusted.overlay.opaque"
INCOMPLETE_XATTRS = ("trusted.overlay.redirect", "trusted.overlay.metacopy")
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


@dataclass(frozen=True)
class Change:
    kind: str  # "A" | "C" | "D"
    path: str  # absolute inside the rootfs


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the root: "etc/hosts"
    kind: str  # "A" | "C" | "D"
    info: os.stat_result
    opaque: bool = False


@dataclass(frozen=True)
class Written:
    diff_id: str  # sha256 of the tar
    size: int  # the layer's size as docker counts it: its files' bytes (hardlinks once)
    entries: int  # tar entries written (0: the layer is empty)


@dataclass
class Differ:
    upper: Path
    lowers: tuple[Path, ...]  # the parent layers' directories, nearest first
    stubs: frozenset[str] = frozenset()  # mount points, relative ("proc", "etc/hosts")
    dropped: list[str] = field(default_factory=list)  # stubs and their holders, children first

    @classmethod
    def of(cls, upper: Path, lowers: Iterable[Path], stubs: Iterable[str]) -> Differ:
        cleaned = frozenset("/".join(p for p in s.split("/") if p not in ("", ".")) for s in stubs)
        return cls(upper, tuple(lowers), cleaned - {""})

    def entries(self) -> list[Entry]:
        """Every change, parents before children, names sorted."""
        self.dropped = []
        fd = os.open(self.upper, DIR_FLAGS)
        try:
            return self._walk(fd, "")
        finally:
            os.close(fd)

    def changes(self) -> list[Change]:
        return [Change(e.kind, "/" + e.path) for e in self.entries()]

    def remove_stubs(self) -> None:
        """Delete the stubs (and what holds only them) from the upper directory."""
        self.entries()
        for path in self.dropped:
            with contextlib.suppress(OSError):
                parent, name = _split(path)
                with _opened_dir(self.upper, parent) as fd:
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    if stat.S_ISDIR(info.st_mode):
                        os.rmdir(name, dir_fd=fd)  # empty by now, or it stays
                    else:
                        os.unlink(name, dir_fd=fd)

    def write_tar(self, out: Sink) -> Written:
        """The layer tar of the changes, written to `out`; its diff ID and size (docker's: the
        st_size of every entry but directories, a hardlinked file once; not the tar's bytes)."""
        sink = _Hashing(out)
        count, links, size, seen = 0, _Links(), 0, set()
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for entry in self.entries():
                count += _add(tar, self.upper, entry, links)
                st = entry.info
                if not stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    size += st.st_size
        return Written(f"sha256:{sink.hash.hexdigest()}", size, count)

    # -- the walk ---------------------------------------------------------------------------

    def _walk(self, fd: int, prefix: str) -> list[Entry]:
        found: list[Entry] = []
        for name in sorted(os.listdir(fd)):
            path = f"{prefix}{name}"
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                found.append(Entry(path, "D", info))
            elif stat.S_ISDIR(info.st_mode):
                found += self._directory(fd, name, path, info)
            elif not self._is_stub(path, info):
                found.append(Entry(path, "C" if self._below(path) else "A", info))
        return found

    def _directory(self, fd: int, name: str, path: str, info: os.stat_result) -> list[Entry]:
        child = os.open(name, DIR_FLAGS, dir_fd=fd)
        try:
            opaque = _xattr(child, OPAQUE_XATTR) == b"y"
            _refuse_incomplete(child, path)
            inside = self._walk(child, path + "/")
        finally:
            os.close(child)
        below = self._below(path)
        if (
            not inside
            and not opaque
            and (
                (not below and path in self.stubs)
                or (not below and self._holds_stub(path))
                or (below and self._unchanged_dir(path, info))
            )
        ):
            self.dropped.append(path)
            return []
        return [Entry(path, "C" if below else "A", info, opaque), *inside]

    def _is_stub(self, path: str, info: os.stat_result) -> bool:
        empty = stat.S_ISREG(info.st_mode) and info.st_size == 0
        stub = path in self.stubs and (empty or stat.S_ISLNK(info.st_mode))
        if stub and not self._below(path):
            self.dropped.append(path)
            return True
        return False

    def _holds_stub(self, path: str) -> bool:
        return any(s.startswith(path + "/") for s in self.stubs)

    def _unchanged_dir(self, path: str, info: os.stat_result) -> bool:
        """A directory copied up but not changed itself: same type, mode and owner below."""
        lower = self._lower_stat(path)
        return (
            lower is not None
            and stat.S_ISDIR(lower.st_mode)
            and lower.st_mode == info.st_mode
            and (lower.st_uid, lower.st_gid) == (info.st_uid, info.st_gid)
        )

    def _below(self, path: str) -> bool:
        return self._lower_stat(path) is not None

    def _lower_stat(self, path: str) -> os.stat_result | None:
        """The path as the parent layers show it (whiteouts and opaque dirs honoured)."""
        parts = path.split("/")
        for lower in self.lowers:
            found, stop = _stat_in(lower, parts)
            if found is not None or stop:
                return found
        return None


def _stat_in(lower: Path, parts: list[str]) -> tuple[os.stat_result | None, bool]:
    """(the path's stat in this layer or None, whether lower layers are hidden from it)."""
    current = str(lower)
    for index, part in enumerate(parts):
        current = f"{current}/{part}"
        try:
            info = os.lstat(current)
        except OSError:
            return None, False
        if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
            return None, True  # deleted in this layer
        last = index == len(parts) - 1
        if last:
            return info, True
        if not stat.S_ISDIR(info.st_mode):
            return None, True  # a file where a directory would be: nothing below it
        if _path_xattr(current, OPAQUE_XATTR) == b"y":
            deeper, _ = _stat_in(Path(current), parts[index + 1 :])
            return deeper, True
    return None, False


def _xattr(fd: int, name: str) -> bytes | None:
    try:
        return os.getxattr(fd, name)
    except OSError:
        return None


def _path_xattr(path: str, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError:
        return None


def _refuse_incomplete(fd: int, path: str) -> None:
    for name in INCOMPLETE_XATTRS:
        if _xattr(fd, name) is not None:
            raise FailedPrecondition(
                f"cannot diff /{path}: overlayfs {name.rsplit('.', 1)[1]} is on (turn "
                "redirect_dir and metacopy off for the overlay module)"
            )


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rpartition("/")
    return parent, name


@contextlib.contextmanager
def _opened_dir(root: Path, relative: str) -> Iterator[int]:
    fd = os.open(root, DIR_FLAGS)
    try:
        for part in [p for p in relative.split("/") if p]:
            child = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _add(tar: tarfile.TarFile, upper: Path, entry: Entry, links: _Links) -> int:
    """Write `entry` (and an opaque marker after an opaque dir); entries written."""
    parent, name = _split(entry.path)
    if entry.kind == "D":
        tar.addfile(_header(f"{parent}/{WHITEOUT}{name}".lstrip("/"), entry.info, tarfile.REGTYPE))
        return 1
    with _opened_dir(upper, parent) as fd:
        info = _info(entry, fd, name)
        if entry.info.st_nlink > 1 and info.type == tarfile.REGTYPE:
            links.share(info, entry.info)
        if info.type == tarfile.REGTYPE:
            source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            with os.fdopen(source, "rb") as data:
                tar.addfile(info, data)
        else:
            tar.addfile(info)
    if entry.opaque:
        tar.addfile(_header(f"{entry.path}/{OPAQUE}", entry.info, tarfile.REGTYPE))
        return 2
    return 1


def _header(name: str, info: os.stat_result, kind: bytes) -> tarfile.TarInfo:
    header = tarfile.TarInfo(name)
    header.type, header.mode, header.mtime = kind, 0, int(info.st_mtime)
    return header


def _info(entry: Entry, fd: int, name: str) -> tarfile.TarInfo:
    st = entry.info
    info = tarfile.TarInfo(entry.path)
    info.mode, info.uid, info.gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
    info.mtime = int(st.st_mtime)
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISREG(st.st_mode):
        info.type, info.size = tarfile.REGTYPE, st.st_size
    elif stat.S_ISLNK(st.st_mode):
        info.type, info.linkname = tarfile.SYMTYPE, os.readlink(name, dir_fd=fd)
    elif stat.S_ISFIFO(st.st_mode):
        info.type = tarfile.FIFOTYPE
    else:
        info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    info.pax_headers = _xattrs(fd, name, st)
    return info


def _xattrs(fd: int, name: str, st: os.stat_result) -> dict[str, str]:
    if stat.S_ISLNK(st.st_mode):
        return {}
    found = {}
    with contextlib.suppress(OSError):
        target = os.open(
            name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=fd
        )
        try:
            for key in os.listxattr(target):
                if not key.startswith(OVERLAY_PREFIX):
                    value = os.getxattr(target, key)
                    found[f"SCHILY.xattr.{key}"] = value.decode("utf-8", "surrogateescape")
        finally:
            os.close(target)
    return found


class _Links:
    """Regular files with several names inside the layer: the second is a hard link."""

    def __init__(self) -> None:
        self.first: dict[tuple[int, int], str] = {}

    def share(self, info: tarfile.TarInfo, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        if key in self.first:
            info.type, info.linkname, info.size = tarfile.LNKTYPE, self.first[key], 0
        else:
            self.first[key] = info.name


class _Hashing:
    """A write-only stream that hashes and counts what passes to `out`."""

    def __init__(self, out: Sink) -> None:
        self._out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        self._out.write(data)
        return len(data)
