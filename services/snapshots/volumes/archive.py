"""docker's archive semantics on a container's files: stat and archive (tar out); extraction
(tar in) is `untar.py`, the filling of a volume `copyup.py`.

Every function here runs inside a view (`views.py`): `/` is the container's root, so paths are
resolved by the kernel inside it. As docker's daemon does (moby `container.ResolvePath`), a
path's directory is resolved through symlinks and its last element is kept as given: a symlink
named last is archived as a link, and "/dir/." names a directory's content.

The modules a tar stream may need (gzip, bz2, lzma for compressed input) are imported here,
before any root changes: an import inside a view would read the container's files.
"""

from __future__ import annotations

import bz2  # noqa: F401 - tarfile imports these lazily, which must not happen inside a view
import gzip  # noqa: F401
import io
import os
import posixpath
import stat
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from dockyard.api.errors import (
    NotFound,
)
from dockyard.services.snapshots.volumes import entries

CAPABILITY_XATTR = ("security.capability",)  # the one xattr docker's archives carry


@dataclass(frozen=True)
class PathStat:
    name: str
    size: int
    mode: int  # st_mode
    mtime: datetime
    link_target: str = ""


def split(path: str) -> tuple[str, str]:
    """The absolute form of `path` (a trailing "/" or "/." kept) and its resolved form: the
    directory part resolved inside the root, the last element as given."""
    absolute = "/" + path.lstrip("/")
    directory, _, base = absolute.rpartition("/")
    resolved = os.path.realpath(directory or "/")
    return absolute, resolved.rstrip("/") + "/" + base


def base_name(path: str) -> str:
    """Go's filepath.Base: the last element, trailing slashes ignored; "/" for the root."""
    stripped = path.rstrip("/")
    return posixpath.basename(stripped) if stripped else "/"


def stat_path(path: str, container: str) -> PathStat:
    absolute, resolved = split(path)
    info = lstat_path(resolved, path, container)
    link = ""
    if stat.S_ISLNK(info.st_mode):
        link = os.path.realpath(absolute)
    return PathStat(
        base_name(absolute),
        info.st_size,
        info.st_mode,
        datetime.fromtimestamp(info.st_mtime, UTC),
        link,
    )


def lstat_path(resolved: str, path: str, container: str) -> os.stat_result:
    try:
        return os.lstat(resolved)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"Could not find the file {path} in container {container}") from None


def archive(path: str, out: BinaryIO, container: str) -> None:
    """Write `path` as a tar to `out`: its entries named from the path's last element as asked
    ("." for "dir/.", which carries the content alone)."""
    absolute, resolved = split(path)
    lstat_path(resolved, path, container)
    resolved = posixpath.normpath(resolved)
    source_dir, source_base = posixpath.split(resolved)
    rebase = base_name(absolute)
    if rebase == "/" or absolute.endswith("/."):
        rebase = "."
    parent = os.open(source_dir or "/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _add(tar, parent, source_base or ".", rebase, {})
    finally:
        os.close(parent)


def _add(
    tar: tarfile.TarFile, parent: int, name: str, as_name: str, links: dict[tuple[int, int], str]
) -> None:
    """Add `name` (in the directory `parent`) as `as_name`, and what is below it."""
    try:
        with entries.opened(parent, name) as (info, fd):
            link = os.readlink(name, dir_fd=parent) if stat.S_ISLNK(info.st_mode) else ""
            entry = entries.info_of(as_name, info, link)
            if entry is None:
                return  # a socket
            if entry.isreg() and info.st_nlink > 1:
                key = (info.st_dev, info.st_ino)
                if key in links:
                    entry.type, entry.linkname, entry.size = tarfile.LNKTYPE, links[key], 0
                    tar.addfile(entry)
                    return
                links[key] = as_name
            if fd >= 0:
                entries.with_xattrs(entry, entries.xattrs(fd, CAPABILITY_XATTR))
            if entry.isdir():
                entry.name = as_name.rstrip("/") + "/"
                tar.addfile(entry)
                for child in sorted(os.listdir(fd)):
                    _add(tar, fd, child, f"{as_name.rstrip('/')}/{child}", links)
            elif entry.isreg():
                with os.fdopen(os.dup(fd), "rb") as content:
                    tar.addfile(entry, content)
            else:
                tar.addfile(entry)
    except FileNotFoundError:
        return  # gone while the tree was read


def _warm_up() -> None:
    """Run tarfile's paths once (pax headers, compressed input) so nothing is imported later."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        entry = entries.with_xattrs(tarfile.TarInfo("x" * 120), {"user.x": b"\xff"})
        tar.addfile(entry)
    for mode in ("w|gz", "w|bz2", "w|xz"):
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode=mode) as tar:
            tar.addfile(tarfile.TarInfo("y"))
        with tarfile.open(fileobj=io.BytesIO(packed.getvalue()), mode="r|*") as tar:
            list(tar)
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue()), mode="r|*") as tar:
        list(tar)


_warm_up()
