"""Snapshots mounted where the builder can write into them (COPY, ADD): the only privileged
calls the engine makes (unshare, mount, umount), with no policy of their own.

The snapshotter returns mount descriptions and never mounts; a container's are mounted by its
shim, in the container's namespace. A COPY has no container, so the builder mounts the step's
snapshot itself — in a mount namespace of its own: a fresh thread unshares CLONE_NEWNS (mount
namespaces are per thread, unshare(2)), makes every mount private so nothing propagates back
to the host, mounts, does the work, unmounts and ends, and its namespace ends with it. So a
mount is never seen outside that thread, two builds mount at the same path at once, and an
engine killed mid-COPY leaves no mount behind. The engine has imported gRPC, so it never
forks: a thread, not a process (as the network service makes its namespaces).

`Mounter` is what the executor needs; `NamespaceMounter` is the real one, and unit tests use a
fake that hands out plain directories.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from dockyard.services.engine.clients.snapshots import Mount

CLONE_NEWNS = 0x00020000
MS_RDONLY = 0x1
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
T = TypeVar("T")

Work = Callable[[list[Path]], T]
"""What runs with the mounts in place: given the directory each mount list is mounted on."""


class Mounter(Protocol):
    async def run(self, mounts: Sequence[list[Mount]], work: Work[T]) -> T:
        """`work(dirs)` with each of `mounts` mounted on `dirs[i]` (the first read-write,
        the others read-only), in a namespace no one else sees; unmounted after."""
        ...


class NamespaceMounter:
    def __init__(self, base: Path) -> None:
        self._base = base  # empty directories to mount on (private mounts: shared by all)

    async def run(self, mounts: Sequence[list[Mount]], work: Work[T]) -> T:
        dirs = [self._base / str(index) for index in range(len(mounts))]
        for directory in dirs:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

        def in_namespace() -> T:
            _unshare_mounts()
            os.umask(0o022)  # the thread's own (CLONE_NEWNS unshares CLONE_FS): dirs made 0755
            for index, (directory, described) in enumerate(zip(dirs, mounts, strict=True)):
                for mount in described:
                    _mount(mount, directory, readonly=index > 0)
            try:
                return work(dirs)
            finally:
                for directory in reversed(dirs):
                    with contextlib.suppress(OSError):
                        _umount(directory)

        return await in_new_thread(in_namespace, "build-mount")


class DirectoryMounter:
    """The test double: each mount list is "mounted" on a plain directory named after the
    snapshot it describes (its upper directory, or its bind source) below `root`, which
    persists, so what a COPY wrote can be looked at. No privileges needed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def directory(self, mounts: list[Mount]) -> Path:
        first = mounts[0]
        path = first.source
        for option in first.options:
            if option.startswith(("upperdir=", "lowerdir=")):
                path = option.split("=", 1)[1].split(":")[0]
                if option.startswith("upperdir="):
                    break
        directory = self.root / path.strip("/")
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    async def run(self, mounts: Sequence[list[Mount]], work: Work[T]) -> T:
        dirs = [self.directory(m) for m in mounts]
        return await asyncio.to_thread(work, dirs)


async def in_new_thread(work: Callable[[], T], name: str) -> T:
    """`work()` in a fresh thread (which may change its namespaces and ends with them)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = work()
        except BaseException as err:  # noqa: BLE001 - handed to the awaiting coroutine
            loop.call_soon_threadsafe(settle, None, err)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _unshare_mounts() -> None:
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")


def _mount(mount: Mount, target: Path, readonly: bool) -> None:
    options = [o for o in mount.options if o not in ("ro", "rw", "rbind", "bind")]
    flags = MS_RDONLY if readonly or "ro" in mount.options else 0
    if mount.type == "bind":
        _check(
            _libc.mount(mount.source.encode(), bytes(target), None, MS_BIND | MS_REC, None),
            f"bind {mount.source}",
        )
        if flags:
            _check(
                _libc.mount(None, bytes(target), None, MS_BIND | MS_REMOUNT | flags, None),
                f"remount {target} read-only",
            )
        return
    data = ",".join(options).encode()
    _check(
        _libc.mount(mount.source.encode(), bytes(target), mount.type.encode(), flags, data),
        f"mount {mount.type} on {target}",
    )


def _umount(target: Path) -> None:
    _check(_libc.umount2(bytes(target), 0), f"umount {target}")
