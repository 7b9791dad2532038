"""`cp`'s transfers: the engine's archive extracted on the host, a local path sent as a tar.

    from   stat (and follow, with -L) → the engine's archive of the path → renamed to the
           destination's name where needed → extracted below the destination's directory
    to     the local path as a tar (renamed likewise) → the engine extracts it into the
           container's directory (as root's files unless -a keeps the tar's owners)

The tar from a container is hostile: entries are extracted only below the destination, never
through a symlink in it (one the archive made or one already there), and no owner is set
unless -a asks for the container's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import tarfile
from collections.abc import AsyncIterator
from typing import Any

from dockyard.cli.copyrules import (
    Info,
    destination_info,
    local_path,
    prepare,
    rebase_name,
    source_info,
    split_dir_entry,
    validate_output,
)
from dockyard.cli.engine import Stubs, die

CHUNK = 1 << 20


# -- from a container --------------------------------------------------------------------------


async def copy_from(
    stubs: Stubs, container: str, src: str, dst: str, follow: bool, archive: bool
) -> int:
    from dockyard.engine.v1 import engine_pb2 as pb

    if dst != "-":
        dst = local_path(dst)
        validate_output(dst)
    if src.strip("/") in ("", "."):
        src = "/."  # the root: its content
    rebase = ""
    if follow:
        found = await stubs.containers.StatPath(pb.ContainerPathRequest(id=container, path=src))
        if stat.S_ISLNK(found.mode):
            target = found.link_target
            if not target.startswith("/"):
                target = os.path.join(split_dir_entry(src)[0], target)
            src, rebase = rebase_name(src, target)
    call = stubs.containers.GetArchive(
        pb.ContainerPathRequest(id=container, path=src), timeout=None
    )
    stream = call.__aiter__()
    first = await anext(stream)
    source = Info(src, True, stat.S_ISDIR(first.stat.mode), rebase)
    if dst == "-":
        return await _to_stdout(stream)
    return await _extract_locally(stream, source, dst, archive)


async def _to_stdout(stream: AsyncIterator[Any]) -> int:
    size = 0
    out = sys.stdout.buffer
    async for item in stream:
        out.write(item.data)
        size += len(item.data)
    out.flush()
    return size


async def _extract_locally(stream: AsyncIterator[Any], source: Info, dst: str, keep: bool) -> int:
    destination = destination_info(dst)
    target_dir, old, new = prepare(source, destination)
    read, write = os.pipe()
    extraction = asyncio.create_task(asyncio.to_thread(_untar, read, target_dir, old, new, keep))
    size = 0
    try:
        async for item in stream:
            size += len(item.data)
            await asyncio.to_thread(_write_all, write, item.data)
    except BrokenPipeError:
        pass  # the extraction stopped: its error is the one to report
    finally:
        os.close(write)
    await extraction
    return size


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Tar(tarfile.TarFile):
    keep_owners = False

    def chown(self, tarinfo: tarfile.TarInfo, targetpath: Any, numeric_owner: bool) -> None:
        if self.keep_owners:
            os.lchown(targetpath, tarinfo.uid, tarinfo.gid)


def _untar(fd: int, target_dir: str, old: str, new: str, keep: bool) -> None:
    with os.fdopen(fd, "rb") as pipe, _Tar.open(fileobj=pipe, mode="r|") as tar:
        assert isinstance(tar, _Tar)
        tar.keep_owners = keep
        for member in tar:
            if old != new:
                member.name = member.name.replace(old, new, 1)
                if member.islnk():
                    member.linkname = member.linkname.replace(old, new, 1)
            _check_member(member, target_dir)
            name = os.path.normpath(member.name)
            existing = _lstat(os.path.join(target_dir, name))
            if existing is not None:
                if stat.S_ISDIR(existing.st_mode) and name == ".":
                    continue
                _clear(existing, member, os.path.join(target_dir, name))
            tar.extract(member, target_dir, set_attrs=True, numeric_owner=True)
        while pipe.read(CHUNK):
            pass


def _check_member(member: tarfile.TarInfo, root: str) -> None:
    """Refuse a member that would land outside `root`, or go through a symlink below it."""
    name = os.path.normpath(member.name)
    if name.startswith(("/", "../")) or name == "..":
        die(f'invalid tar entry "{member.name}": outside of {root}')
    parent = root
    for part in name.split("/")[:-1]:
        parent = os.path.join(parent, part)
        if os.path.islink(parent):
            die(f'invalid tar entry "{member.name}": through a symlink')
    if member.islnk():
        link = os.path.normpath(member.linkname)
        if link.startswith(("/", "../")) or link == "..":
            die(f'invalid hardlink "{member.name}" -> "{member.linkname}"')
    if member.issym() and not member.linkname.startswith("/"):
        joined = os.path.normpath(os.path.join(os.path.dirname(name), member.linkname))
        if joined.startswith("../") or joined == "..":
            die(f'invalid symlink "{member.name}" -> "{member.linkname}"')


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _clear(existing: os.stat_result, member: tarfile.TarInfo, path: str) -> None:
    """docker's NoOverwriteDirNonDir, and a non-directory replaced."""
    is_dir = stat.S_ISDIR(existing.st_mode)
    if is_dir and not member.isdir():
        die(f'cannot overwrite directory "{path}" with non-directory "{member.name}"')
    if not is_dir and member.isdir():
        die(f'cannot overwrite non-directory "{path}" with directory "{member.name}"')
    if not is_dir:
        os.unlink(path)


# -- to a container ------------------------------------------------------------------------------


async def copy_to(
    stubs: Stubs, container: str, src: str, dst: str, follow: bool, archive: bool
) -> int:
    from dockyard.api.errors import NotFound
    from dockyard.engine.v1 import engine_pb2 as pb

    if src != "-":
        src = local_path(src)
    destination = Info(dst)
    try:
        found = await stubs.containers.StatPath(pb.ContainerPathRequest(id=container, path=dst))
        if stat.S_ISLNK(found.mode):
            target = found.link_target
            if not target.startswith("/"):
                target = os.path.join(split_dir_entry(dst)[0], target)
            destination.path = target
            found = await stubs.containers.StatPath(
                pb.ContainerPathRequest(id=container, path=target)
            )
        if not (stat.S_ISDIR(found.mode) or stat.S_ISREG(found.mode)):
            die(f'destination "{container}:{dst}" must be a directory or a regular file')
        destination.exists, destination.is_dir = True, stat.S_ISDIR(found.mode)
    except NotFound:
        pass  # the parent may exist: the extraction says if it does not
    if src == "-":
        if not destination.is_dir:
            die(f'destination "{container}:{dst}" must be a directory')
        return await _put(stubs, container, destination.path, archive, _stdin_chunks())
    source = source_info(src, follow)
    target_dir, _, name = prepare(source, destination)
    return await _put(stubs, container, target_dir, archive, _tar_chunks(source, name))


async def _put(
    stubs: Stubs, container: str, path: str, keep: bool, chunks: AsyncIterator[bytes]
) -> int:
    from dockyard.engine.v1 import engine_pb2 as pb

    size = 0

    async def inputs() -> AsyncIterator[Any]:
        nonlocal size
        options = pb.ContainerArchiveOptions(
            id=container, path=path, copy_uid_gid=keep, no_overwrite_dir_non_dir=True
        )
        yield pb.ContainerArchiveInput(options=options)
        async for chunk in chunks:
            size += len(chunk)
            yield pb.ContainerArchiveInput(data=chunk)

    await stubs.containers.PutArchive(inputs(), timeout=None)
    return size


async def _stdin_chunks() -> AsyncIterator[bytes]:
    fd = sys.stdin.fileno()
    while chunk := await asyncio.to_thread(os.read, fd, CHUNK):
        yield chunk


async def _tar_chunks(source: Info, name: str) -> AsyncIterator[bytes]:
    """The local source as a tar, its top entry called `name`, made in a thread."""
    read, write = os.pipe()
    making = asyncio.create_task(asyncio.to_thread(_tar, write, source, name))
    try:
        while chunk := await asyncio.to_thread(os.read, read, CHUNK):
            yield chunk
    finally:
        os.close(read)
        with contextlib.suppress(BrokenPipeError):
            await making


def _tar(fd: int, source: Info, name: str) -> None:
    directory, base = split_dir_entry(source.path)
    with (
        os.fdopen(fd, "wb") as pipe,
        tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.add(os.path.join(directory, base), arcname=name, recursive=True)
