"""Persistent network namespaces: made, bind-mounted to a file, unmounted. Privileged calls only,
through the engine's one syscall layer (dockyard.api.syscalls).

This process has imported gRPC, so it never forks: a namespace is made by a fresh, dedicated
thread (network namespaces are per thread, setns(2)/unshare(2)), which unshares CLONE_NEWNET,
brings `lo` up from inside (a socket opened there belongs to that namespace), bind-mounts
/proc/thread-self/ns/net onto the target file, and ends. The mount keeps the namespace alive.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dockyard.api import syscalls

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MNT_DETACH = 0x2
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

_linux = syscalls.Linux()
T = TypeVar("T")


def create(path: Path) -> None:
    """Make a new network namespace with `lo` up, pinned at `path` (an absent file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
    os.close(fd)

    def work() -> None:
        _linux.unshare(CLONE_NEWNET)
        _link_up("lo")
        source = f"/proc/self/task/{threading.get_native_id()}/ns/net"
        _linux.mount(source, str(path), "", MS_BIND, "")

    try:
        in_own_thread(work, f"netns-{path.name[:12]}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def enter(path: Path) -> None:
    """Move the calling thread into the network namespace pinned at `path`."""
    _linux.setns(str(path), CLONE_NEWNET)


def in_own_thread(work: Callable[[], T], name: str) -> T:
    """`work`'s result, computed in a fresh thread (which may change its namespace and end
    with it); its exception raised here."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as err:  # noqa: BLE001 - handed to the calling thread
            failure.append(err)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def remove(path: Path) -> None:
    """Unmount and delete `path`; nothing there is not an error."""
    try:
        _linux.umount(str(path), MNT_DETACH)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOENT):
            raise
    path.unlink(missing_ok=True)


def is_mounted(path: Path) -> bool:
    target = str(path)
    with open("/proc/self/mountinfo") as mountinfo:
        return any(line.split()[4] == target for line in mountinfo)


def _link_up(name: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", name.encode(), 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", name.encode(), flags | IFF_UP))
