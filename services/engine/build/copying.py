"""COPY and ADD writing into a step's root filesystem (mounted by `mounting.py`), as docker
does it:

    COPY a /dst          a file: /dst is the file, or /dst/a when /dst is a directory
    COPY a b /dst/       several sources (or a pattern): the destination is a directory
    COPY dir /dst        a directory's contents (not the directory itself) into /dst
    ADD app.tar.gz /opt  a local tar archive (plain, gzip, bzip2, xz) is extracted into /opt
    COPY <<EOF /f        a heredoc becomes the file /f

Missing directories on the way are made (0755; owned as --chown says, else root). Copied
files keep their permissions (--chmod replaces them) and times; their owner is root for
context files, kept for --from sources, --chown's otherwise ("user" alone: its uid as the gid
too). Every path is resolved inside the roots (`dockyard.shim.inroot`): neither the context
nor an image can lead a write — or a read — out through a symlink.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import dataclass, field
from typing import IO

from dockyard.api.errors import InvalidArgument
from dockyard.shim.inroot import Root, fd_path

CHUNK = 1 << 20
TAR_MAGICS = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


@dataclass(frozen=True)
class Options:
    owner: tuple[int, int] | None = None  # --chown, resolved
    chmod: int | None = None
    keep_owner: bool = False  # --from sources keep theirs; context files become root's
    extract: bool = False  # ADD: local archives are extracted


@dataclass(frozen=True)
class Plan:
    """One COPY's work: `sources` (absolute in the source root, already matched), or
    `files` made from heredocs, into `dest` (absolute; a trailing "/" means a directory)."""

    dest: str
    sources: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (name, content)
    options: Options = Options()


class NotADirectory(InvalidArgument):
    """A path that must be a directory names something else."""


def make_dirs(root: Root, path: str) -> None:
    """`path` inside the root a directory: made with its missing parents (root's, 0755) when
    it is not there; NotADirectory when something else is."""
    os.close(_ensure_dir(root, path, Options()))


def copy(dest_root: Root, source_root: Root | None, plan: Plan) -> None:
    """Do `plan` (see the module docstring)."""
    count = len(plan.sources) + len(plan.files)
    into_dir = plan.dest.endswith("/") or count > 1
    if count > 1 and not plan.dest.endswith("/"):
        raise InvalidArgument(
            "When using COPY with more than one source file, the destination must be a "
            "directory and end with a /"
        )
    for name, content in plan.files:
        target = posixpath.join(plan.dest, name) if into_dir else plan.dest
        _write_bytes(dest_root, target, content, plan.options)
    for source in plan.sources:
        assert source_root is not None
        _copy_source(dest_root, source_root, source, plan, into_dir)


def _copy_source(
    dest_root: Root, source_root: Root, source: str, plan: Plan, into_dir: bool
) -> None:
    fd = source_root.open(source)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            target = _ensure_dir(dest_root, plan.dest, plan.options)
            try:
                _copy_tree(fd, target, plan.options)
            finally:
                os.close(target)
            return
        if plan.options.extract and _is_archive(fd):
            target = _ensure_dir(dest_root, plan.dest, plan.options)
            try:
                _extract(dest_root, plan.dest, fd, plan.options)
            finally:
                os.close(target)
            return
        name = posixpath.basename(source) or "root"
        if into_dir or _is_dir(dest_root, plan.dest):
            dest = posixpath.join(plan.dest, name)
        else:
            dest = plan.dest
        parent, base = posixpath.split(dest.rstrip("/"))
        parent_fd = _ensure_dir(dest_root, parent or "/", plan.options)
        try:
            _copy_entry(fd, st, parent_fd, base, plan.options)
        finally:
            os.close(parent_fd)
    finally:
        os.close(fd)


def _is_dir(root: Root, path: str) -> bool:
    try:
        fd = root.open(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        return stat.S_ISDIR(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def _ensure_dir(root: Root, path: str, options: Options) -> int:
    """An O_PATH fd of the directory `path` inside the root, made (with its parents) if
    missing, owned as `options` say. A dangling symlink on the way (an earlier step's, aimed
    anywhere) is followed inside the root, and what it names made there, root's and 0755."""
    try:
        fd = root.open(path)
    except FileNotFoundError:
        parent, name = posixpath.split(path.rstrip("/"))
        parent_fd = _ensure_dir(root, parent or "/", options)
        try:
            if _stat(parent_fd, name) is None:
                os.mkdir(name, 0o755, dir_fd=parent_fd)
                os.chmod(name, 0o755, dir_fd=parent_fd)  # whatever the umask
                owner = options.owner or (0, 0)
                os.chown(name, *owner, dir_fd=parent_fd, follow_symlinks=False)
        finally:
            os.close(parent_fd)
        try:
            fd = root.open(path)
        except FileNotFoundError:  # `name` is a link to what does not exist (yet)
            fd = root.open(path, "dir", 0o755)
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotADirectory(f"cannot copy to {path}: not a directory")
    return fd


def _copy_tree(source: int, dest: int, options: Options) -> None:
    """The entries of the directory `source` into the directory `dest` (both O_PATH fds)."""
    readable = os.open(fd_path(source), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in sorted(os.listdir(readable)):
            child = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=readable)
            try:
                st = os.fstat(child)
                if stat.S_ISLNK(st.st_mode):
                    _replace(dest, name)
                    os.symlink(os.readlink(name, dir_fd=readable), name, dir_fd=dest)
                    _own(dest, name, st, options)
                else:
                    _copy_entry(child, st, dest, name, options)
            finally:
                os.close(child)
    finally:
        os.close(readable)


def _copy_entry(source: int, st: os.stat_result, parent: int, name: str, options: Options) -> None:
    """One file, directory (recursively) or special file, as `name` in `parent`."""
    if stat.S_ISDIR(st.st_mode):
        existing = _stat(parent, name)
        if existing is None or not stat.S_ISDIR(existing.st_mode):
            _replace(parent, name)
            os.mkdir(name, 0o700, dir_fd=parent)
        target = os.open(
            name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent
        )
        try:
            _copy_tree(source, target, options)
        finally:
            os.close(target)
    elif stat.S_ISREG(st.st_mode):
        _replace(parent, name)
        readable = os.open(fd_path(source), os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
        with os.fdopen(readable, "rb") as data:
            _write_file(parent, name, data)
    elif stat.S_ISFIFO(st.st_mode):
        _replace(parent, name)
        os.mkfifo(name, 0o600, dir_fd=parent)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        _replace(parent, name)
        os.mknod(name, stat.S_IFMT(st.st_mode) | 0o600, st.st_rdev, dir_fd=parent)
    else:
        return  # a socket: nothing to copy
    _own(parent, name, st, options)
    os.chmod(
        name,
        options.chmod if options.chmod is not None else stat.S_IMODE(st.st_mode),
        dir_fd=parent,
    )
    os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=parent, follow_symlinks=False)


def _own(parent: int, name: str, st: os.stat_result, options: Options) -> None:
    owner = options.owner or ((st.st_uid, st.st_gid) if options.keep_owner else (0, 0))
    os.chown(name, *owner, dir_fd=parent, follow_symlinks=False)


def _stat(parent: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _replace(parent: int, name: str) -> None:
    """Remove whatever `name` is in `parent` (a directory with everything in it)."""
    existing = _stat(parent, name)
    if existing is None:
        return
    if stat.S_ISDIR(existing.st_mode):
        readable = os.open(fd_path(parent), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            shutil.rmtree(name, dir_fd=readable)
        finally:
            os.close(readable)
    else:
        os.unlink(name, dir_fd=parent)


def _write_file(parent: int, name: str, data: IO[bytes]) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with os.fdopen(os.open(name, flags, 0o600, dir_fd=parent), "wb") as out:
        shutil.copyfileobj(data, out, CHUNK)


def _write_bytes(root: Root, path: str, content: bytes, options: Options) -> None:
    parent, name = posixpath.split(path)
    if not name:
        raise InvalidArgument(f"cannot write a heredoc to the directory {path}")
    parent_fd = _ensure_dir(root, parent or "/", options)
    try:
        if _is_dir(root, path):
            raise InvalidArgument(f"cannot write a heredoc over the directory {path}")
        _replace(parent_fd, name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(name, flags, 0o600, dir_fd=parent_fd), "wb") as out:
            out.write(content)
        os.chown(name, *(options.owner or (0, 0)), dir_fd=parent_fd, follow_symlinks=False)
        os.chmod(name, options.chmod if options.chmod is not None else 0o644, dir_fd=parent_fd)
    finally:
        os.close(parent_fd)


# -- ADD: local archives ------------------------------------------------------------------------


def _is_archive(fd: int) -> bool:
    readable = os.open(fd_path(fd), os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
    with os.fdopen(readable, "rb") as data:
        head = data.read(512)
    return head.startswith(TAR_MAGICS) or head[257:262] == b"ustar"


def _extract(root: Root, dest: str, fd: int, options: Options) -> None:
    """The archive `fd` is open on, extracted below `dest` (entries never climb out of it)."""
    readable = os.open(fd_path(fd), os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
    with os.fdopen(readable, "rb") as data:
        try:
            with tarfile.open(fileobj=data, mode="r:*") as tar:
                for member in tar:
                    _extract_member(root, dest, tar, member, options)
        except (tarfile.TarError, EOFError, OSError) as err:
            if isinstance(err, OSError) and err.errno is not None:
                raise
            raise InvalidArgument(f"ADD failed: the archive is not a valid tar: {err}") from None


def _extract_member(
    root: Root, dest: str, tar: tarfile.TarFile, member: tarfile.TarInfo, options: Options
) -> None:
    relative = posixpath.normpath(member.name.lstrip("/"))
    if relative == "." or relative == ".." or relative.startswith("../"):
        if relative == ".":
            return
        raise InvalidArgument(
            f"ADD failed: invalid tar: {member.name!r} breaks out of the destination"
        )
    parent, name = posixpath.split(posixpath.join(dest, relative))
    parent_fd = _ensure_dir(root, parent, Options(owner=options.owner))
    try:
        if member.isdir():
            existing = _stat(parent_fd, name)
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                _replace(parent_fd, name)
                os.mkdir(name, 0o755, dir_fd=parent_fd)
        elif member.isreg():
            _replace(parent_fd, name)
            source = tar.extractfile(member)
            assert source is not None
            _write_file(parent_fd, name, source)
        elif member.issym():
            _replace(parent_fd, name)
            os.symlink(member.linkname, name, dir_fd=parent_fd)
        elif member.islnk():
            _replace(parent_fd, name)
            _hardlink(root, dest, member, parent_fd, name)
        else:
            return  # devices and FIFOs from an archive are skipped
        owner = options.owner or (member.uid, member.gid)
        os.chown(name, *owner, dir_fd=parent_fd, follow_symlinks=False)
        if not member.issym():
            os.chmod(name, member.mode & 0o7777, dir_fd=parent_fd)
            os.utime(name, (member.mtime, member.mtime), dir_fd=parent_fd, follow_symlinks=False)
    finally:
        os.close(parent_fd)


def _hardlink(root: Root, dest: str, member: tarfile.TarInfo, parent: int, name: str) -> None:
    target = posixpath.normpath(member.linkname.lstrip("/"))
    if target.startswith("../") or target == "..":
        raise InvalidArgument(f"ADD failed: invalid tar: hardlink {member.name!r} breaks out")
    fd = root.open(posixpath.join(dest, target))
    try:
        os.link(fd_path(fd), name, dst_dir_fd=parent, follow_symlinks=True)
    finally:
        os.close(fd)
