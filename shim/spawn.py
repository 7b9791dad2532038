"""How a process is started into the container: clean before the container can see it.

A child forked from the shim starts with a copy of every fd the shim holds (its listening
socket, the runtime's connection, the log file, other processes' stdio). Were it forked
straight into the container's pid namespace, container root could take those fds through
/proc/<pid>/fd or pidfd_getfd(2) until it execs (the runc lesson: CVE-2019-5736,
CVE-2024-21626). So every process that enters the container is born through an intermediate:

    shim ──fork──▶ intermediate, in the shim's pid namespace (never visible in the container):
                     non-dumpable (PR_SET_DUMPABLE 0: no ptrace, no /proc/<pid>/fd, no
                     pidfd_getfd for anyone without CAP_SYS_PTRACE), signal dispositions the
                     defaults, stdio set to the process's own (or /dev/null), every other fd
                     closed (close_range) but the sync socket, then the pid namespace entered
                     (unshare for the init, setns to the init's for an exec; see PidNamespace)
                   ──fork──▶ the process: pid 1, or a pid in the container's namespace,
                     holding its stdio and the sync socket only, and non-dumpable until it
                     execs (execve makes the new program dumpable again, as usual)
                   writes the process's pid on a pipe and exits
    shim: reads the pid, reaps the intermediate; the process, orphaned, is reparented to the
          shim (a child subreaper, prctl(2)) and reaped by the server's loop like any child.

The pid travels on a pipe of its own, not on the sync socket, so nothing the process says
there can come before it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from dockyard.api import syscalls as sc

MAX_FD = 0x7FFFFFFF
PID_SECONDS = 30.0


class SpawnError(OSError):
    """The intermediate could not start the process (fork, or the pid namespace, failed)."""


@dataclass(frozen=True)
class Stdio:
    stdin: int | None  # fds in the child, or None for /dev/null
    stdout: int | None
    stderr: int | None


@dataclass(frozen=True)
class PidNamespace:
    """Where the process goes: a new pid namespace (an init, by default), one it joins by path
    (an exec: its init's; an init of --pid container:X: X's), or the shim's (--pid host)."""

    path: str = ""  # join this one
    new: bool = True  # without a path: a new one, or (False) the shim's own

    @classmethod
    def of_init(cls, init_pid: int) -> PidNamespace:
        return cls(f"/proc/{init_pid}/ns/pid", new=False)

    @classmethod
    def of_spec(cls, spec: dict[str, Any]) -> PidNamespace:
        """The init's, as the spec's linux.namespaces say (no "pid" entry: the host's)."""
        for ns in spec.get("linux", {}).get("namespaces", []):
            if ns.get("type") == "pid":
                return cls(ns.get("path", ""), new=not ns.get("path"))
        return cls(new=False)

    def enter(self, sys: sc.Syscalls) -> None:
        if self.path:
            sys.setns(self.path, sc.CLONE_NEWPID)
        elif self.new:
            sys.unshare(sc.CLONE_NEWPID)


def start(
    sync: socket.socket,
    stdio: Stdio | None,
    namespace: PidNamespace,
    work: Callable[[], NoReturn],
) -> int:
    """Start `work` in a clean process in `namespace`; return its pid (in the shim's pid
    namespace). `sync` is the process's end of its socket: the caller closes its own copy."""
    report_r, report_w = os.pipe2(os.O_CLOEXEC)
    intermediate = os.fork()
    if intermediate == 0:
        os.close(report_r)
        _intermediate(sync, stdio, namespace, report_w, work)
    os.close(report_w)
    try:
        return _read_pid(report_r)
    finally:
        os.close(report_r)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(intermediate, 0)


def _read_pid(report: int) -> int:
    data = b""
    while chunk := os.read(report, 4096):
        data += chunk
    text = data.decode(errors="replace").strip()
    if not text.isdigit():
        raise SpawnError(text or "the process could not be started")
    return int(text)


def _intermediate(
    sync: socket.socket,
    stdio: Stdio | None,
    namespace: PidNamespace,
    report: int,
    work: Callable[[], NoReturn],
) -> NoReturn:
    try:
        syscalls = sc.Linux()
        clean(syscalls, stdio, keep=(sync.fileno(), report))
        namespace.enter(syscalls)
        child = os.fork()
        if child == 0:
            os.close(report)
            work()
        os.write(report, f"{child}\n".encode())
    except BaseException as err:  # noqa: BLE001 - the intermediate's boundary: say why, exit
        with contextlib.suppress(OSError):
            os.write(report, f"cannot start a process: {err}\n".encode())
        os._exit(1)
    os._exit(0)


def clean(syscalls: sc.Syscalls, stdio: Stdio | None, keep: tuple[int, ...]) -> None:
    """Non-dumpable, default signal handling, stdio on 0–2, and no fd but those and `keep`."""
    syscalls.prctl(sc.PR_SET_DUMPABLE, 0)
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores the last two
        signal.signal(signum, signal.SIG_DFL)
    _stdio(stdio)
    low = 3
    for fd in sorted(fd for fd in keep if fd >= low):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, MAX_FD)


def _stdio(stdio: Stdio | None) -> None:
    wanted = (stdio.stdin, stdio.stdout, stdio.stderr) if stdio else (None, None, None)
    null = os.open("/dev/null", os.O_RDWR)
    for target, fd in enumerate(wanted):
        os.dup2(null if fd is None else fd, target)
    os.close(null)
