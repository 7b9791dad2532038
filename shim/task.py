"""The container as the shim sees it: its init, its exec'd processes, its cgroup.

    new ──create──▶ created ──start──▶ running ⇄ paused ──(init exits, output drained)──▶ stopped

Create starts the init as pid 1 of a new pid namespace (through a clean intermediate, see
spawn.py; the shim, a child subreaper, adopts and reaps it) and waits until it reports
"ready" — set up, command found, about to exec — or an error. Start tells it to go and waits
for EOF on the close-on-exec sync socket (exec done) or an error. Execs start the same way into
the init's pid namespace, join its other namespaces and cgroup, and exec at once. The exit is recorded atomically in the
bundle (`exit.json`) so it outlives the shim.
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from dockyard.api import timings
from dockyard.api.files import write_atomic
from dockyard.shim import resources, spawn
from dockyard.shim.cgroups import Cgroup
from dockyard.shim.process import ExitRecord, Process, Stdio

SYNC_SECONDS = 60.0


class TaskError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Task:
    def __init__(self, task_id: str, bundle: Path) -> None:
        self.id = task_id
        self.bundle = bundle
        self.spec: dict[str, Any] = json.loads((bundle / "config.json").read_text())
        self.status = "new"
        self.init = Process("")
        self.execs: dict[str, Process] = {}
        self.cgroup: Cgroup | None = None
        self._sync: socket.socket | None = None
        path = self.spec.get("linux", {}).get("cgroupsPath")
        if path:
            self.cgroup = Cgroup.for_path(path)

    @property
    def pid(self) -> int:
        return self.init.pid

    # -- create / start ---------------------------------------------------------------------

    def create(self, mounts: list[Any], terminal: bool, stdin: bool) -> None:
        if self.cgroup is not None:
            with timings.phase("cgroup"):
                self.cgroup.create()
                resources.apply(self.cgroup, self.spec.get("linux", {}).get("resources", {}))

        def init_main(sync: socket.socket) -> NoReturn:
            from dockyard.shim import init

            init.main(self.spec, self.bundle, mounts, self.cgroup, sync)

        namespace = spawn.PidNamespace.of_spec(self.spec)
        with timings.phase("init"):
            pid, ours, parent = _spawn(init_main, namespace, terminal, stdin, self.id)
            self.init.pid, self.init.stdio, self._sync = pid, ours, parent
            write_atomic(self.bundle / "init.pid", str(pid), durable=False)  # the state dir
            self._await_ready()
        self.status = "created"

    def _await_ready(self) -> None:
        assert self._sync is not None
        self._sync.settimeout(SYNC_SECONDS)
        while True:
            message, fds = _receive(self._sync)
            if message.get("terminal"):
                self.init.stdio.master = fds[0]
                os.set_blocking(fds[0], False)
            elif message.get("ready"):
                _add_phases(message.get("timings", ""))  # the init's own: setup, command
                return
            else:
                self._failed(message)

    def start(self) -> None:
        if self.status != "created" or self._sync is None:
            raise TaskError("FailedPrecondition", f"cannot start a task that is {self.status}")
        with timings.phase("exec"):
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
        self.init.exit = ExitRecord(code, time.time_ns())
        if self.status == "new":
            _reap(self.init.pid)
            self.init.pid = 0
            self.init.exit = None
            self.cleanup()
        raise TaskError(kind, message.get("message") or "the container's init exited during set-up")

    # -- running ----------------------------------------------------------------------------

    def kill(self, signum: int, all_processes: bool = False) -> None:
        if all_processes and self.cgroup is not None:
            self.cgroup.kill_all(signum)
        if self.init.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.init.pid, signum)

    def exec(self, exec_id: str, process: dict[str, Any], terminal: bool, stdin: bool) -> Process:
        """Start `process` in the container; return it running (or raise why it could not)."""
        if self.status not in ("running",):
            raise TaskError("FailedPrecondition", f"container {self.id} is not running")
        if exec_id in self.execs:
            raise TaskError("AlreadyExists", f"exec {exec_id} already exists")

        def exec_main(sync: socket.socket) -> NoReturn:
            from dockyard.shim import init

            init.exec_main(self.spec, process, self.init.pid, self.cgroup, sync)

        namespace = spawn.PidNamespace.of_init(self.init.pid)
        pid, ours, parent = _spawn(exec_main, namespace, terminal, stdin, self.id)
        proc = Process(exec_id, pid, ours)
        self._await_exec(proc, parent)
        self.execs[exec_id] = proc
        return proc

    def _await_exec(self, proc: Process, sync: socket.socket) -> None:
        sync.settimeout(SYNC_SECONDS)
        try:
            while True:
                message, fds = _receive(sync)
                if message.get("terminal"):
                    proc.stdio.master = fds[0]
                    os.set_blocking(fds[0], False)
                    continue
                if message:
                    _reap(proc.pid)
                    proc.stdio.close()
                    raise TaskError(
                        message.get("error", "Internal"), message.get("message", "exec failed")
                    )
                return  # EOF: exec'd
        finally:
            sync.close()

    def pause(self) -> None:
        if self.status != "running" or self.cgroup is None:
            raise TaskError("FailedPrecondition", f"Container {self.id} is not running")
        self.cgroup.freeze(True)
        self.status = "paused"

    def resume(self) -> None:
        if self.status != "paused" or self.cgroup is None:
            raise TaskError("FailedPrecondition", f"Container {self.id} is not paused")
        self.cgroup.freeze(False)
        self.status = "running"

    def update(self, wanted: dict[str, Any]) -> None:
        if self.cgroup is None or self.status not in ("created", "running", "paused"):
            raise TaskError("FailedPrecondition", f"Container {self.id} is not running")
        resources.apply(self.cgroup, wanted)

    def stats(self) -> dict[str, int]:
        if self.cgroup is None:
            raise TaskError("FailedPrecondition", f"Container {self.id} has no cgroup")
        return resources.stats(self.cgroup, self.init.pid)

    def pids(self) -> list[int]:
        return (
            self.cgroup.pids()
            if self.cgroup is not None
            else ([self.init.pid] if self.init.pid else [])
        )

    # -- exit ------------------------------------------------------------------------------------

    def init_exited(self) -> None:
        """The init was reaped: note an OOM kill before the cgroup goes."""
        if (
            self.init.exit is not None
            and self.cgroup is not None
            and resources.oom_killed(self.cgroup)
        ):
            self.init.exit.oom_killed = True

    def stopped(self) -> None:
        """Exit recorded and output drained: the task is over."""
        self.status = "stopped"
        if self.init.exit is None:
            self.init.exit = ExitRecord(255, time.time_ns())
        write_atomic(self.bundle / "exit.json", json.dumps(self.init.exit.__dict__), durable=False)

    def cleanup(self) -> None:
        if self.init.exit is None and self.init.pid:  # created but never started (or never done)
            self.kill(signal.SIGKILL)
            _reap(self.init.pid)
        if self.cgroup is not None:
            if self.status == "paused":
                self.cgroup.freeze(False)
            self.cgroup.kill_all()
            self.cgroup.remove()
        self.init.stdio.close()
        for proc in self.execs.values():
            proc.stdio.close()


Work = Callable[[socket.socket], NoReturn]  # given its sync socket; stdio already on 0–2


def _spawn(
    work: Work, namespace: spawn.PidNamespace, terminal: bool, stdin: bool, task_id: str
) -> tuple[int, Stdio, socket.socket]:
    """Start `work` in the container (see spawn.py): its pid, our stdio ends, our sync end."""
    child_stdio, ours = _pipes(terminal, stdin)
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        pid = spawn.start(child, child_stdio, namespace, lambda: work(child))
    except OSError as err:
        ours.close()
        parent.close()
        raise TaskError(
            "FailedPrecondition", f"cannot start a process in {task_id}: {err}"
        ) from None
    finally:
        child.close()
        _close_child_ends(child_stdio)
    return pid, ours, parent


def _pipes(terminal: bool, stdin: bool) -> tuple[spawn.Stdio | None, Stdio]:
    """(the child's stdio, ours). With a terminal the child makes a pty and sends the master."""
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
    return spawn.Stdio(in_r, out_w, err_w), Stdio(stdin=in_w, stdout=out_r, stderr=err_r)


def _close_child_ends(child_stdio: spawn.Stdio | None) -> None:
    if child_stdio is None:
        return
    for fd in (child_stdio.stdin, child_stdio.stdout, child_stdio.stderr):
        if fd is not None:
            os.close(fd)


def _add_phases(text: str) -> None:
    recorder = timings.current()
    if recorder is not None:
        with contextlib.suppress(ValueError):  # the container's own process wrote it: a report
            recorder.extend(timings.decode(text))


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
