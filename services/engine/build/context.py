"""The build context on the engine's disk: the client's tar (plain or gzip) unpacked into a
directory of the build's own, `.dockerignore` applied again, the Dockerfile read out.

    <engine root>/build/contexts/<build id>/     removed when the build ends (and at start-up)

The tar comes from a client and is read as hostile: every entry is created inside the
directory (`dockyard.shim.inroot`: a symlink in the tar leads nowhere outside it), a name that
climbs out with `..` is refused, devices and FIFOs are skipped, owners are dropped (context
files are root's, as COPY makes them). The Dockerfile and .dockerignore always come through
(docker's CLI sends them whatever .dockerignore says) but COPY sees them only when not
ignored. A context that is a single Dockerfile (`dockyard build - < Dockerfile`) is that file.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.api import dockerignore
from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.shim.inroot import Root, fd_path

CHUNK = 1 << 20
DOCKERIGNORE = ".dockerignore"
MAX_DOCKERFILE = 4 << 20


@dataclass
class Context:
    directory: Path
    dockerfile: str  # the Dockerfile's text

    def root(self) -> Root:
        return Root(self.directory)


def receive(stream: BinaryIO, directory: Path, dockerfile: str) -> Context:
    """Unpack the context tar read from `stream` into `directory` (made here)."""
    directory.mkdir(parents=True, mode=0o700)
    name = posixpath.normpath(dockerfile or "Dockerfile").lstrip("/")
    head = _Peek(stream)
    if head.starts_like_text():
        text = head.read().decode("utf-8", "replace")
        return Context(directory, text)  # a Dockerfile alone: an empty context
    try:
        with tarfile.open(fileobj=head, mode="r|*") as tar, Root(directory) as root:  # type: ignore[call-overload]
            for member in tar:
                _unpack(root, tar, member)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile) as err:
        raise InvalidArgument(f"the build context is not a valid tar archive: {err}") from None
    text = _read_dockerfile(directory, name, dockerfile or "Dockerfile")
    _apply_ignore(directory, keep={name, DOCKERIGNORE})
    return Context(directory, text)


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


class _Peek:
    """A stream whose first bytes can be looked at before a tar reader takes it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._head = stream.read(512)

    def starts_like_text(self) -> bool:
        head = self._head
        if not head or head.startswith(b"\x1f\x8b") or head[257:262] == b"ustar":
            return False
        return b"\x00" not in head

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:n], self._head[n:]
            return data + (self._stream.read(n - len(data)) if len(data) < n else b"")
        return self._stream.read(n)


def _unpack(root: Root, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    relative = posixpath.normpath(member.name.lstrip("/"))
    if relative == ".":
        return
    if relative == ".." or relative.startswith("../"):
        raise InvalidArgument(f"the build context has an entry outside it: {member.name!r}")
    parent, name = posixpath.split("/" + relative)
    fd = root.open(parent, "dir")
    try:
        if member.isdir():
            existing = _stat(fd, name)
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                _remove(fd, name)
                os.mkdir(name, 0o755, dir_fd=fd)
        elif member.isreg():
            _remove(fd, name)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            source = tar.extractfile(member)
            assert source is not None
            with os.fdopen(os.open(name, flags, 0o600, dir_fd=fd), "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        elif member.issym():
            _remove(fd, name)
            os.symlink(member.linkname, name, dir_fd=fd)
            return
        elif member.islnk():
            _remove(fd, name)
            target = root.open("/" + posixpath.normpath(member.linkname.lstrip("/")))
            try:
                os.link(fd_path(target), name, dst_dir_fd=fd, follow_symlinks=True)
            finally:
                os.close(target)
            return
        else:
            return  # devices, FIFOs: nothing a build copies
        os.chmod(name, member.mode & 0o7777, dir_fd=fd)
        os.utime(name, (member.mtime, member.mtime), dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(fd)


def _stat(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _remove(fd: int, name: str) -> None:
    existing = _stat(fd, name)
    if existing is None:
        return
    if stat.S_ISDIR(existing.st_mode):
        readable = os.open(fd_path(fd), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            shutil.rmtree(name, dir_fd=readable)
        finally:
            os.close(readable)
    else:
        os.unlink(name, dir_fd=fd)


def _read_dockerfile(directory: Path, name: str, shown: str) -> str:
    with Root(directory) as root:
        try:
            data = root.read("/" + name, MAX_DOCKERFILE + 1)
        except OSError:
            raise NotFound(f"Cannot locate specified Dockerfile: {shown}") from None
    if len(data) > MAX_DOCKERFILE:
        raise InvalidArgument(f"the Dockerfile {shown} is bigger than 4 MiB")
    return data.decode("utf-8", "replace")


def _apply_ignore(directory: Path, keep: set[str]) -> None:
    """Delete what .dockerignore leaves out (a client that sent it anyway)."""
    with Root(directory) as root:
        try:
            text = root.read("/" + DOCKERIGNORE).decode("utf-8", "replace")
        except OSError:
            return
    matcher = dockerignore.Matcher(dockerignore.read(text))
    if matcher.patterns:
        _prune(directory, "", matcher, keep)


def _prune(directory: Path, prefix: str, matcher: dockerignore.Matcher, keep: set[str]) -> None:
    """Remove the ignored entries below `prefix`; symlinks are never followed."""
    for entry in sorted(os.scandir(directory / prefix), key=lambda e: e.name):
        relative = f"{prefix}{entry.name}"
        is_dir = entry.is_dir(follow_symlinks=False)
        if relative in keep or not matcher.ignored(relative):
            if is_dir:
                _prune(directory, relative + "/", matcher, keep)
        elif is_dir and (
            matcher.may_reinclude(relative) or any(k.startswith(relative + "/") for k in keep)
        ):
            _prune(directory, relative + "/", matcher, keep)
        else:
            with contextlib.suppress(OSError):
                _remove_path(directory, relative)


def _remove_path(directory: Path, relative: str) -> None:
    parent, name = posixpath.split("/" + relative)
    with Root(directory) as root:
        fd = root.open(parent)
        try:
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                _remove(fd, name)
        finally:
            os.close(fd)
