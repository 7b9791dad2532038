"""A thread whose `/` is a container's filesystem, as the container sees it (moby's
containerFSView): where `cp` and the filling of an empty volume do their work.

This process has imported gRPC, so it never forks: each piece of work runs in a fresh,
dedicated thread (never a pool thread) that changes its own root and mount namespace — both
are per thread once it has unshared CLONE_FS — and ends with them:

  running  the container's init is found by pid, checked to be this container's (its cgroup
           names it), and its mount namespace joined (setns(2) after unshare(CLONE_FS)): the
           thread's root is then the container's `/`, with every mount it has (tmpfs too)
  stopped  a private mount namespace (unshare(CLONE_NEWNS|CLONE_FS), every mount rprivate),
           the container's layer mounted on <views> there, its volumes and binds on their
           targets, then chroot(2) into it; the mounts vanish with the thread's namespace, so
           nothing is ever mounted on the host and nothing can leak there

Either way the kernel resolves every path of the work inside the container's root: an absolute
symlink or `..` stops at its `/`, as openat2's RESOLVE_IN_ROOT would. The work never looks a
name up in the container's /etc (NSS would load the container's libraries: CVE-2019-14271) and
imports nothing once the root has changed (the import would read the container's files).
"""

from __future__ import annotations

import ctypes
import os
import stat
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dockyard.api.errors import FailedPrecondition, NotFound
from dockyard.services.snapshots.volumes.local import Mount

T = TypeVar("T")

CLONE_FS = 0x200
CLONE_NEWNS = 0x20000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
_IGNORED = {"rw", "bind", "rbind", "suid", "dev", "exec", "private", "rprivate", "shared",
            "rshared", "slave", "rslave", "z", "Z"}  # fmt: skip

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Filesystem:
    """What a container's files are made of (see volumes.proto, ContainerFilesystem)."""

    container_id: str
    snapshot: str
    pid: int = 0
    mounts: list[tuple[Mount, str]] = field(default_factory=list)  # (mount, target inside)
    read_only: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.container_id[:12]


RootfsMounts = Callable[[str], list[Mount]]
"""The mounts presenting a snapshot (the snapshotter's, in this same process)."""


class Views:
    """Runs work with a container's filesystem as its root (see the module docstring)."""

    def __init__(self, base: Path, rootfs_mounts: RootfsMounts) -> None:
        self._base = base
        self._base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._rootfs_mounts = rootfs_mounts

    def start(self, fs: Filesystem, work: Callable[[], T]) -> Future[T]:
        """Run `work` in a fresh thread inside `fs`; its result (or exception) in the future."""
        enter = self._entry(fs)
        result: Future[T] = Future()

        def run() -> None:
            try:
                enter()
                os.umask(0)  # this thread's own (CLONE_FS): modes are made exactly as asked
                result.set_result(work())
            except BaseException as err:  # noqa: BLE001 - handed to the caller
                result.set_exception(err)

        threading.Thread(target=run, name=f"view-{fs.container_id[:12]}").start()
        return result

    def run(self, fs: Filesystem, work: Callable[[], T]) -> T:
        """`start` and wait (call it from a worker thread, not the event loop)."""
        return self.start(fs, work).result()

    def _entry(self, fs: Filesystem) -> Callable[[], None]:
        """What the thread does first to have `fs` as its root; checked before it starts."""
        if fs.pid:
            ns = _container_namespace(fs)
            return lambda: _join(ns)
        rootfs = self._rootfs_mounts(fs.snapshot)
        return lambda: _assemble(self._base, rootfs, fs.mounts, fs.read_only)


def _container_namespace(fs: Filesystem) -> int:
    """An fd on the mount namespace of the container's init, once it is known to be it."""
    try:
        ns = os.open(f"/proc/{fs.pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FailedPrecondition(f"container {fs.label} is not running") from None
    try:  # checked after opening: a pid reused meanwhile is caught here
        with open(f"/proc/{fs.pid}/cgroup") as cgroups:
            ours = fs.container_id in cgroups.read()
    except FileNotFoundError:
        ours = False
    if not ours:
        os.close(ns)
        raise FailedPrecondition(f"container {fs.label} is not running")
    return ns


def _join(ns: int) -> None:
    try:
        _check(_libc.unshare(CLONE_FS), "unshare(CLONE_FS)")
        _check(_libc.setns(ns, CLONE_NEWNS), "setns(mnt)")
    finally:
        os.close(ns)


def _open_source(mount: Mount) -> tuple[int, bool]:
    """An O_PATH fd on a bind's source (-1 for other kinds) and whether it is a directory,
    found while the host is still `/` (in the new namespace: a bind takes its source from the
    namespace it is made in)."""
    if mount.type != "bind":
        return -1, True
    try:
        fd = os.open(mount.source, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound(f"bind source path does not exist: {mount.source}") from None
    return fd, stat.S_ISDIR(os.fstat(fd).st_mode)


Source = tuple[Mount, str, int, bool]  # the mount, its target, its source's fd, is a directory


def _assemble(
    base: Path, rootfs: list[Mount], mounts: list[tuple[Mount, str]], read_only: bool
) -> None:
    """In this thread: a private namespace, the layer on `base`, the mounts, chroot."""
    sources: list[Source] = []
    try:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_FS), "unshare(CLONE_NEWNS)")
        _mount("", "/", "", MS_REC | MS_PRIVATE, "")
        for mount, target in mounts:
            sources.append((mount, target, *_open_source(mount)))
        for layer in rootfs:
            flags, data = _options(layer.options)
            kind = "" if layer.type == "bind" else layer.type
            _mount(layer.source, str(base), kind, (flags & ~MS_RDONLY) | _bind(layer), data)
        os.chroot(base)
        os.chdir("/")
        for mount, target, fd, is_dir in sources:
            _mount_inside(mount, target, fd, is_dir)
        if read_only:
            _mount("", "/", "", MS_REMOUNT | MS_BIND | MS_RDONLY, "")
    finally:
        for _, _, fd, _ in sources:
            if fd >= 0:
                os.close(fd)


def _mount_inside(mount: Mount, target: str, source_fd: int, is_dir: bool) -> None:
    """Mount onto `target` (resolved in the chroot, made when missing); a bind's source is
    reached through the fd opened before the chroot, as the working directory."""
    flags, data = _options(mount.options)
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target) or "/", mode=0o755, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
    if source_fd >= 0:
        os.fchdir(source_fd)
        try:
            _mount(".", target, "", MS_BIND | MS_REC, "")
        finally:
            os.chdir("/")
    else:
        _mount(mount.source, target, mount.type, flags & ~MS_RDONLY, data)
    if flags & MS_RDONLY:
        _mount("", target, "", MS_REMOUNT | MS_BIND | MS_RDONLY, "")


def _bind(mount: Mount) -> int:
    return MS_BIND | MS_REC if mount.type == "bind" else 0


def _options(options: tuple[str, ...] | list[str]) -> tuple[int, str]:
    flags, data = 0, []
    for option in options:
        if option in _FLAGS:
            flags |= _FLAGS[option]
        elif option not in _IGNORED:
            data.append(option)
    return flags, ",".join(data)


def _mount(source: str, target: str, kind: str, flags: int, data: str) -> None:
    result = _libc.mount(
        source.encode() or None,
        target.encode(),
        kind.encode() or None,
        flags,
        data.encode() or None,
    )
    _check(result, f"mount {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
