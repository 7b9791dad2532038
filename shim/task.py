"""The container's init process as the shim sees it: create, start, signal, exit.

    created ──start──▶ running ──(exit, output drained)──▶ stopped ──delete──▶ (shim exits)

Create forks the init in a new pid namespace (the shim unshares CLONE_NEWPID first, so the
child is that namespace's pid 1 and stays the shim's own child: reaped here, no subreaper
needed) and waits until it reports "ready" — set up, command found, about to exec — or an
error. Start tells it to go and waits for EOF on the close-on-exec sync socket (exec done) or
an error. The exit is recorded atomically in the bundle (`exit.json`) so it outlives the shim.
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.shim.cgroups import Cgroup

SYNC_SECONDS = 60.0
CLONE_NEWPID = 0x20000000


class TaskError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class ExitRecord:
    code: int
    at_ns: int
    oom_killed: bool = False


@dataclass
class Stdio:
    stdin: int | None = None  # our end: write
    stdout: int | None = None  # our end: read
    stderr: int | None = None
    master: int | None = None  # a pty master, when terminal


class Task:
    def __init__(self, task_id: str, bundle: Path) -> None:
        self.id = task_id
        self.bundle = bundle
        self.spec: dict[str, Any] = json.loads((bundle / "config.json").read_text())
        self.pid = 0
        self.status = "new"  # new | created | running | stopped
        self.exit: ExitRecord | None = None
        self.stdio = Stdio()
        self.cgroup: Cgroup | None = None
        self._sync: socket.socket | None = None
        path = self.spec.get("linux", {}).get("cgroupsPath")
        if path:
            self.cgroup = Cgroup.for_path(path)

    # -- create / start ---------------------------------------------------------------------

    def create(self, mounts: list[Any], terminal: bool, stdin: bool) -> None:
        if self.cgroup is not None:
            self.cgroup.create()
        child_stdio, ours = _pipes(terminal, stdin)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        _unshare_pid_once()
        pid = os.fork()
        if pid == 0:  # the child: becomes the container's init (never returns)
            parent.close()
            from dockyard.shim import init

            init.main(self.spec, self.bundle, mounts, self.cgroup, child, child_stdio)
        child.close()
        for fd in (
            (child_stdio.stdin, child_stdio.stdout, child_stdio.stderr) if child_stdio else ()
        ):
            if fd is not None:
                os.close(fd)
        self.pid, self.stdio, self._sync = pid, ours, parent
        _write_atomic(self.bundle / "init.pid", str(pid))
        self._await_ready()
        self.status = "created"

    def _await_ready(self) -> None:
        assert self._sync is not None
        self._sync.settimeout(SYNC_SECONDS)
        while True:
            message, fds = _receive(self._sync)
            if message.get("terminal"):
                self.stdio.master = fds[0]
                os.set_blocking(fds[0], False)
            elif message.get("ready"):
                return
            else:
                self._failed(message)

    def start(self) -> None:
        if self.status != "created" or self._sync is None:
            raise TaskError("FailedPrecondition", f"cannot start a task that is {self.status}")
        self._sync.send(json.dumps({"start": True}).encode())
        message, _ = _receive(self._sync)  # EOF ({}) once execve succeeded
        self._sync.close()
        self._sync = None
        if message:
            self._failed(message)
        self.status = "running"

    def _failed(self, message: dict[str, Any]) -> None:
        """The init reported an error (or died): reap it, free the cgroup, raise.

        A failed create leaves the task "new" with its stdio closed; a failed start leaves it
        exited with the code docker gives (127 not found, 126 not runnable, else 1)."""
        self.kill(signal.SIGKILL)
        kind = message.get("error", "Internal")
        code = {"CommandNotFound": 127, "CommandNotRunnable": 126}.get(kind, 1)
        self.exit = ExitRecord(code, time.time_ns())
        if self.status == "new":
            _reap(self.pid)
            self.pid = 0
            self.exit = None
            self.cleanup()
        raise TaskError(kind, message.get("message") or "the container's init exited during set-up")

    # -- running ----------------------------------------------------------------------------

    def kill(self, signum: int, all_processes: bool = False) -> None:
        if all_processes and self.cgroup is not None:
            self.cgroup.kill_all(signum)
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def reaped(self, status: int) -> None:
        """The init was reaped with wait status `status`."""
        code = os.waitstatus_to_exitcode(status)
        self.exit = ExitRecord(code if code >= 0 else 128 - code, time.time_ns())

    def stopped(self) -> None:
        """Exit recorded and output drained: the task is over."""
        self.status = "stopped"
        if self.exit is None:
            self.exit = ExitRecord(255, time.time_ns())
        _write_atomic(self.bundle / "exit.json", json.dumps(self.exit.__dict__))

    def cleanup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup.remove()
        for fd in (self.stdio.stdin, self.stdio.stdout, self.stdio.stderr, self.stdio.master):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _pipes(terminal: bool, stdin: bool) -> tuple[Any, Stdio]:
    """(the child's stdio, ours). With a terminal the child makes a pty and sends the master."""
    from dockyard.shim.init import Stdio as ChildStdio

    if terminal:
        return None, Stdio()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r = in_w = None
    if stdin:
        in_r, in_w = os.pipe()
        os.set_blocking(in_w, False)
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
    return ChildStdio(in_r, out_w, err_w), Stdio(stdin=in_w, stdout=out_r, stderr=err_r)


_pid_unshared = False


def _unshare_pid_once() -> None:
    """Make our next fork the first process of a new pid namespace (pid_namespaces(7))."""
    global _pid_unshared
    if _pid_unshared:
        return
    unshare = getattr(os, "unshare", None)
    if unshare is not None:
        unshare(CLONE_NEWPID)
    else:
        from dockyard.shim.syscalls import Linux

        Linux().unshare(CLONE_NEWPID)
    _pid_unshared = True


def _receive(sock: socket.socket) -> tuple[dict[str, Any], list[int]]:
    fds = array.array("i")
    try:
        data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
    except TimeoutError:
        return {"error": "DeadlineExceeded", "message": "the container's init did not answer"}, []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (json.loads(data) if data else {}), list(fds)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
