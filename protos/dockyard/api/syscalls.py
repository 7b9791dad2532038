"""The one module that makes privileged system calls, and a recording fake of it.

Every process of the engine that changes namespaces, mounts, credentials or its own process
attributes does it here: the shim's container set-up (`shim/setup.py`, `shim/init.py`,
`shim/spawn.py`), the network service's namespace files (`services/network/nsfs.py`) and the
supervisor (a child subreaper). `Linux` calls libc through ctypes (Python 3.11 has no
os.unshare/os.setns; no version has mount, pivot_root, capset or a seccomp loader). It holds no
policy: what to call and in which order is its caller's business, which takes any `Syscalls` —
`Recording` in unit tests, so they check the exact sequence of calls without root (one test
holds the whole set-up of a container: tests/unit/shim/test_setup.py).

ctypes is imported when a `Linux` is first made; the shim's zygote makes one before it forks,
so no shim or container process pays for the import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol

# sched.h: clone(2) / unshare(2) / setns(2) flags
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

NAMESPACES = {
    "mount": CLONE_NEWNS,
    "uts": CLONE_NEWUTS,
    "ipc": CLONE_NEWIPC,
    "pid": CLONE_NEWPID,
    "network": CLONE_NEWNET,
    "cgroup": CLONE_NEWCGROUP,
    "user": CLONE_NEWUSER,
}
PROC_NS = {
    "mount": "mnt",
    "uts": "uts",
    "ipc": "ipc",
    "pid": "pid",
    "network": "net",
    "cgroup": "cgroup",
}

# sys/mount.h
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_SILENT = 0x8000
MS_UNBINDABLE = 0x20000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MNT_DETACH = 0x2

# prctl(2)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_KEEPCAPS = 8
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SOCK_FILTER_SIZE = 8  # struct sock_filter: u16 code, u8 jt, u8 jf, u32 k

SYS_PIVOT_ROOT = 155  # x86_64; see syscall_numbers below
SYS_CAPSET = 126
_SYSCALL_NUMBERS = {"x86_64": (155, 126), "aarch64": (41, 91)}
# the new mount API (Linux 5.2): one number on every architecture
SYS_OPEN_TREE, SYS_MOVE_MOUNT = 428, 429
OPEN_TREE_CLONE = 1
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOVE_MOUNT_T_SYMLINKS = 0x10  # follow the target path's links (a /proc/self/fd/N one)


class Syscalls(Protocol):
    def unshare(self, flags: int) -> None: ...
    def setns(self, path: str, nstype: int) -> None: ...
    def setns_fd(self, fd: int, nstype: int) -> None: ...
    def mount(self, source: str, target: str, fstype: str, flags: int, data: str) -> None: ...
    def umount(self, target: str, flags: int) -> None: ...
    def pivot_root(self, new_root: str, put_old: str) -> None: ...
    def sethostname(self, name: str) -> None: ...
    def setdomainname(self, name: str) -> None: ...
    def prctl(self, option: int, arg: int) -> None: ...
    def capset(self, effective: int, permitted: int, inheritable: int) -> None: ...
    def fchdir(self, fd: int) -> None: ...
    def chdir(self, path: str) -> None: ...
    def setgroups(self, gids: list[int]) -> None: ...
    def setgid(self, gid: int) -> None: ...
    def setuid(self, uid: int) -> None: ...
    def join_cgroup(self, directory: str) -> None: ...
    def seccomp(self, program: bytes) -> None: ...
    def mknod(
        self, parent_fd: int, name: str, mode: int, device: int, owner: tuple[int, int]
    ) -> None: ...
    def sysctl(self, key: str, value: str) -> None: ...
    def open_tree(self, path: str) -> int: ...
    def move_mount(self, fd: int, target: str) -> None: ...


class SyscallError(OSError):
    pass


class Linux:
    """The real thing (libc through ctypes)."""

    def __init__(self) -> None:
        import ctypes

        self._ctypes = ctypes
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._pivot, self._capset = _SYSCALL_NUMBERS.get(
            os.uname().machine, (SYS_PIVOT_ROOT, SYS_CAPSET)
        )

    def _check(self, result: int, what: str) -> None:
        if result != 0:
            errno = self._ctypes.get_errno()
            raise SyscallError(errno, f"{what}: {os.strerror(errno)}")

    def unshare(self, flags: int) -> None:
        self._check(self._libc.unshare(flags), f"unshare({flags:#x})")

    def setns(self, path: str, nstype: int) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self._check(self._libc.setns(fd, nstype), f"setns({path})")
        finally:
            os.close(fd)

    def setns_fd(self, fd: int, nstype: int) -> None:
        self._check(self._libc.setns(fd, nstype), f"setns(fd {fd})")

    def mount(self, source: str, target: str, fstype: str, flags: int, data: str) -> None:
        c_data = data.encode() if data else None
        result = self._libc.mount(
            source.encode(), target.encode(), fstype.encode() or None, flags, c_data
        )
        self._check(result, f"mount {source} on {target} ({fstype or 'bind'})")

    def umount(self, target: str, flags: int) -> None:
        self._check(self._libc.umount2(target.encode(), flags), f"umount {target}")

    def pivot_root(self, new_root: str, put_old: str) -> None:
        result = self._libc.syscall(self._pivot, new_root.encode(), put_old.encode())
        self._check(result, "pivot_root")

    def sethostname(self, name: str) -> None:
        raw = name.encode()
        self._check(self._libc.sethostname(raw, len(raw)), "sethostname")

    def setdomainname(self, name: str) -> None:
        raw = name.encode()
        self._check(self._libc.setdomainname(raw, len(raw)), "setdomainname")

    def prctl(self, option: int, arg: int) -> None:
        long = self._ctypes.c_ulong
        self._check(
            self._libc.prctl(option, long(arg), long(0), long(0), long(0)), f"prctl({option})"
        )

    def capset(self, effective: int, permitted: int, inheritable: int) -> None:
        import ctypes as ct

        class Header(ct.Structure):
            _fields_ = [("version", ct.c_uint32), ("pid", ct.c_int)]

        class Data(ct.Structure):
            _fields_ = [
                ("effective", ct.c_uint32),
                ("permitted", ct.c_uint32),
                ("inheritable", ct.c_uint32),
            ]

        header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
        data = (Data * 2)()
        for i in range(2):
            shift = 32 * i
            data[i].effective = (effective >> shift) & 0xFFFFFFFF
            data[i].permitted = (permitted >> shift) & 0xFFFFFFFF
            data[i].inheritable = (inheritable >> shift) & 0xFFFFFFFF
        self._check(self._libc.syscall(self._capset, ct.byref(header), data), "capset")

    def fchdir(self, fd: int) -> None:
        os.fchdir(fd)

    def chdir(self, path: str) -> None:
        os.chdir(path)

    def setgroups(self, gids: list[int]) -> None:
        os.setgroups(gids)

    def setgid(self, gid: int) -> None:
        os.setgid(gid)

    def setuid(self, uid: int) -> None:
        os.setuid(uid)

    def join_cgroup(self, directory: str) -> None:
        """Move this process into the cgroup `directory` (cgroups(7): "0" is the writer)."""
        fd = os.open(os.path.join(directory, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    def mknod(
        self, parent_fd: int, name: str, mode: int, device: int, owner: tuple[int, int]
    ) -> None:
        """A device node `name` in the directory `parent_fd` (mode holds S_IFCHR/S_IFBLK), with
        exactly the permission bits of `mode` (no umask), owned by `owner` (uid, gid)."""
        previous = os.umask(0)
        try:
            os.mknod(name, mode, device, dir_fd=parent_fd)
        finally:
            os.umask(previous)
        os.chown(name, *owner, dir_fd=parent_fd, follow_symlinks=False)

    def sysctl(self, key: str, value: str) -> None:
        """Write a kernel parameter of this process's namespaces ("net.ipv4.ip_forward" is
        /proc/sys/net/ipv4/ip_forward, as sysctl(8) names them)."""
        path = "/proc/sys/" + key.replace(".", "/")
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)

    def open_tree(self, path: str) -> int:
        """A detached copy of the mount at `path` (open_tree(2) OPEN_TREE_CLONE, its last
        component not followed) as an fd, to attach elsewhere with move_mount, even in another
        mount namespace than the one it was taken from."""
        flags = OPEN_TREE_CLONE | os.O_CLOEXEC | AT_SYMLINK_NOFOLLOW
        fd = int(self._libc.syscall(SYS_OPEN_TREE, AT_FDCWD, path.encode(), flags))
        if fd < 0:
            errno = self._ctypes.get_errno()
            raise SyscallError(errno, f"open_tree({path}): {os.strerror(errno)}")
        return fd

    def move_mount(self, fd: int, target: str) -> None:
        """Attach the detached mount `fd` (open_tree's) at `target` (move_mount(2)), which
        may be a /proc/self/fd/N path, as the shim names what it mounts onto."""
        flags = MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS
        result = self._libc.syscall(SYS_MOVE_MOUNT, fd, b"", AT_FDCWD, target.encode(), flags)
        self._check(result, f"move_mount onto {target}")

    def seccomp(self, program: bytes) -> None:
        """Load a compiled BPF filter (seccomp(2) SECCOMP_MODE_FILTER, through prctl): it
        needs CAP_SYS_ADMIN or no_new_privs, so it comes before the capabilities go."""
        import ctypes as ct

        class Program(ct.Structure):
            _fields_ = [("len", ct.c_ushort), ("filter", ct.c_void_p)]

        buffer = ct.create_string_buffer(program, len(program))
        fprog = Program(len(program) // SOCK_FILTER_SIZE, ct.cast(buffer, ct.c_void_p))
        zero = ct.c_ulong(0)
        result = self._libc.prctl(
            ct.c_int(PR_SET_SECCOMP), ct.c_ulong(SECCOMP_MODE_FILTER), ct.byref(fprog), zero, zero
        )
        self._check(result, "prctl(PR_SET_SECCOMP)")


@dataclass
class Recording:
    """A fake that records every call (and can be told to fail one), for unit tests."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # call name -> errno

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise SyscallError(self.fail[name], f"{name}: {os.strerror(self.fail[name])}")

    def unshare(self, flags: int) -> None:
        self._record("unshare", flags)

    def setns(self, path: str, nstype: int) -> None:
        self._record("setns", path, nstype)

    def setns_fd(self, fd: int, nstype: int) -> None:
        self._record("setns_fd", fd, nstype)

    def mount(self, source: str, target: str, fstype: str, flags: int, data: str) -> None:
        self._record("mount", _shown(source), _shown(target), fstype, flags, data)

    def umount(self, target: str, flags: int) -> None:
        self._record("umount", target, flags)

    def pivot_root(self, new_root: str, put_old: str) -> None:
        self._record("pivot_root", new_root, put_old)

    def sethostname(self, name: str) -> None:
        self._record("sethostname", name)

    def setdomainname(self, name: str) -> None:
        self._record("setdomainname", name)

    def prctl(self, option: int, arg: int) -> None:
        self._record("prctl", option, arg)

    def capset(self, effective: int, permitted: int, inheritable: int) -> None:
        self._record("capset", effective, permitted, inheritable)

    def fchdir(self, fd: int) -> None:
        self._record("fchdir", _shown(f"/proc/self/fd/{fd}"))

    def chdir(self, path: str) -> None:
        self._record("chdir", path)

    def setgroups(self, gids: list[int]) -> None:
        self._record("setgroups", list(gids))

    def setgid(self, gid: int) -> None:
        self._record("setgid", gid)

    def setuid(self, uid: int) -> None:
        self._record("setuid", uid)

    def join_cgroup(self, directory: str) -> None:
        self._record("join_cgroup", directory)

    def seccomp(self, program: bytes) -> None:
        self._record("seccomp", len(program) // SOCK_FILTER_SIZE)

    def mknod(
        self, parent_fd: int, name: str, mode: int, device: int, owner: tuple[int, int]
    ) -> None:
        self._record("mknod", _shown(f"/proc/self/fd/{parent_fd}"), name, mode, device, owner)

    def sysctl(self, key: str, value: str) -> None:
        self._record("sysctl", key, value)

    def open_tree(self, path: str) -> int:
        """Records the call; the fd it returns is one on /dev/null (its caller closes it)."""
        self._record("open_tree", path)
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)

    def move_mount(self, fd: int, target: str) -> None:
        self._record("move_mount", _shown(target))

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]


def _shown(path: str) -> str:
    """A `/proc/self/fd/N` path as the file it names (recorded calls read as paths)."""
    if path.startswith("/proc/self/fd/"):
        try:
            return os.readlink(path)
        except OSError:
            return path
    return path
