"""docker's archive semantics on a container's files: stat, archive (tar out), extract (tar in).

Every function here runs inside a view (`views.py`): `/` is the container's root, so paths are
resolved by the kernel inside it. As docker's daemon does (moby `container.ResolvePath`), a
path's directory is resolved through symlinks and its last element is kept as given: a symlink
named last is archived as a link, and "/dir/." names a directory's content. An extraction's
target directory is resolved fully; its entries are made relative to their directory's fd and
may never climb out of it ("../x", a symlink or hardlink pointing above it).

The modules a tar stream may need (gzip, bz2, lzma for compressed input) are imported here,
before any root changes: an import inside a view would read the container's files.
"""

from __future__ import annotations

import bz2  # noqa: F401 - tarfile imports these lazily, which must not happen inside a view
import contextlib
import errno
import gzip  # noqa: F401
import io
import lzma
import os
import posixpath
import stat
import tarfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from dockyard.api.errors import (
    DockyardError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from dockyard.services.snapshots.volumes import entries
from dockyard.services.snapshots.volumes.entries import Owner, Rules

CAPABILITY_XATTR = ("security.capability",)  # the one xattr docker's archives carry
MAX_SYMLINKS = 40  # as the kernel's path walk (path_resolution(7))


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
    info = _lstat(resolved, path, container)
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


def _lstat(resolved: str, path: str, container: str) -> os.stat_result:
    try:
        return os.lstat(resolved)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"Could not find the file {path} in container {container}") from None


def archive(path: str, out: BinaryIO, container: str) -> None:
    """Write `path` as a tar to `out`: its entries named from the path's last element as asked
    ("." for "dir/.", which carries the content alone)."""
    absolute, resolved = split(path)
    _lstat(resolved, path, container)
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


@dataclass(frozen=True)
class ExtractOptions:
    copy_uid_gid: bool = False
    no_overwrite_dir_non_dir: bool = False
    read_only_rootfs: bool = False
    mounts: tuple[tuple[str, bool], ...] = ()  # (target, read-only) of volumes and binds


def extract(path: str, stream: BinaryIO, options: ExtractOptions, container: str) -> None:
    """Extract the tar `stream` into the directory `path` (resolved fully, symlinks too)."""
    absolute, _ = split(path)
    target = os.path.realpath(absolute)
    if not stat.S_ISDIR(_lstat(target, path, container).st_mode):
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
