"""A task run by an external OCI runtime (runc, crun) on the same bundle, instead of our init.

    create   mount the rootfs at <bundle>/rootfs (in the host's mount namespace: the runtime
             makes the container's own), resolve a named user from the image's /etc, rewrite
             config.json for it, `runtime create` with our pipes as the container's stdio (or
             a console socket that hands us the pty master)
    start    `runtime start`;  exec: `runtime exec --detach` with a process.json
    pause    `runtime pause|resume`; update, stats, pids, kill: the cgroup and the pid directly
    delete   `runtime delete --force`, unmount the rootfs

The shim is a child subreaper, so the container's init (and every exec), orphaned when the
runtime's own process exits, is reparented to it and reaped by the same loop as our own init:
exit codes, logs and attach work as with the built-in runtime. The runtime keeps its state in
<bundle>/oci, so two engines never share it. --ipc container:X's /dev/shm is X's, bound from
the host (`oci_shm.py`). Not carried over: `--init` and --privileged's host
devices (annotations only the built-in init reads).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

from dockyard.api import syscalls as sc
from dockyard.api.files import write_atomic
from dockyard.shim import oci_shm, users
from dockyard.shim.mounts import parse_options
from dockyard.shim.process import Process, Stdio
from dockyard.shim.task import Task, TaskError, _close_child_ends, _pipes, _receive

USER_ANNOTATION = "org.dockyard.user"
RUNTIME_SECONDS = 60


class OciTask(Task):
    def __init__(self, task_id: str, bundle: Path, runtime: list[str]) -> None:
        super().__init__(task_id, bundle)
        self.runtime = runtime  # the binary and its global arguments

    # -- the runtime ------------------------------------------------------------------------

    def _run(self, *args: str, stdio: Any = None, **kwargs: Any) -> None:
        log = self.bundle / "oci.log"
        argv = [
            *self.runtime,
            "--root",
            str(self.bundle / "oci"),
            "--log",
            str(log),
            "--log-format",
            "json",
            *args,
        ]
        stdin: Any = subprocess.DEVNULL
        stdout: Any = subprocess.DEVNULL
        stderr: Any = subprocess.PIPE
        if stdio is not None:  # the container's process inherits the runtime's stdio
            stdin = stdio.stdin if stdio.stdin is not None else subprocess.DEVNULL
            stdout, stderr = stdio.stdout, stdio.stderr
        try:
            result = subprocess.run(
                argv,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                timeout=RUNTIME_SECONDS,
                check=False,
                **kwargs,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise TaskError("Internal", f"{self.runtime[0]}: {err}") from None
        if result.returncode != 0:
            raise _runtime_error(self.runtime[0], args[0], log, result.stderr)

    # -- create / start ---------------------------------------------------------------------

    def create(self, mounts: list[Any], terminal: bool, stdin: bool) -> None:
        rootfs = self.bundle / "rootfs"
        _mount_rootfs(rootfs, mounts)
        try:
            spec = oci_shm.bind_donor_shm(dict(self.spec), self.bundle)
            spec["root"] = {**spec.get("root", {}), "path": str(rootfs)}
            spec["process"] = _with_user(spec["process"], spec.get("annotations", {}), rootfs)
            write_atomic(self.bundle / "config.json", json.dumps(spec))
            self.spec = spec
            self._launch(
                [
                    "create",
                    "--bundle",
                    str(self.bundle),
                    "--pid-file",
                    str(self.bundle / "init.pid"),
                ],
                terminal,
                stdin,
                self.init,
            )
        except BaseException:
            oci_shm.unmount_donor_shm(self.bundle)
            _unmount(rootfs)
            raise
        self.status = "created"

    def _launch(self, args: list[str], terminal: bool, stdin: bool, proc: Process) -> None:
        """Run `runtime <args> <id>` with the process's stdio; the pid from the pid file."""
        pid_file = Path(args[args.index("--pid-file") + 1])
        child_stdio, ours = (None, Stdio()) if terminal else _pipes(False, stdin)
        console: socket.socket | None = None
        if terminal:
            console_path = self.bundle / f"console-{os.getpid()}-{id(proc)}.sock"
            console = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            console.bind(str(console_path))
            console.listen(1)
            args = [*args, "--console-socket", str(console_path)]
        try:
            self._run(*args, self.id, stdio=child_stdio)
            if console is not None:
                console.settimeout(RUNTIME_SECONDS)
                conn, _ = console.accept()
                with conn:
                    _, fds = _receive(conn)
                if not fds:
                    raise TaskError("Internal", "the runtime sent no terminal")
                ours.master = fds[0]
                os.set_blocking(fds[0], False)
            proc.pid = int(pid_file.read_text().strip())
            proc.stdio = ours
        except BaseException:
            ours.close()
            raise
        finally:
            _close_child_ends(child_stdio)
            if console is not None:
                console.close()
                Path(console.getsockname()).unlink(missing_ok=True)

    def start(self) -> None:
        if self.status != "created":
            raise TaskError("FailedPrecondition", f"cannot start a task that is {self.status}")
        self._run("start", self.id)
        self.status = "running"

    # -- running ----------------------------------------------------------------------------

    def exec(self, exec_id: str, process: dict[str, Any], terminal: bool, stdin: bool) -> Process:
        if self.status != "running":
            raise TaskError("FailedPrecondition", f"container {self.id} is not running")
        if exec_id in self.execs:
            raise TaskError("AlreadyExists", f"exec {exec_id} already exists")
        process = _with_user(
            {**process, "terminal": terminal},
            {USER_ANNOTATION: process.pop("dockyardUser", "")},
            self.bundle / "rootfs",
        )
        spec_path = self.bundle / f"exec-{exec_id[:32]}.json"
        pid_path = self.bundle / f"exec-{exec_id[:32]}.pid"
        write_atomic(spec_path, json.dumps(process))
        proc = Process(exec_id)
        try:
            self._launch(
                ["exec", "--detach", "--process", str(spec_path), "--pid-file", str(pid_path)],
                terminal,
                stdin,
                proc,
            )
        finally:
            spec_path.unlink(missing_ok=True)
            pid_path.unlink(missing_ok=True)
        self.execs[exec_id] = proc
        return proc

    def pause(self) -> None:
        if self.status != "running":
            raise TaskError("FailedPrecondition", f"Container {self.id} is not running")
        self._run("pause", self.id)
        self.status = "paused"

    def resume(self) -> None:
        if self.status != "paused":
            raise TaskError("FailedPrecondition", f"Container {self.id} is not paused")
        self._run("resume", self.id)
        self.status = "running"

    # -- exit -------------------------------------------------------------------------------

    def cleanup(self) -> None:
        with contextlib.suppress(TaskError):
            self._run("delete", "--force", self.id)
        super().cleanup()
        oci_shm.unmount_donor_shm(self.bundle)
        _unmount(self.bundle / "rootfs")


def runtime_of(bundle: Path) -> list[str]:
    """The external runtime's argv the runtime service chose (task.json), or [] for ours."""
    try:
        meta = json.loads((bundle / "task.json").read_text())
    except (OSError, ValueError):
        return []
    path = meta.get("runtime_path") or ""
    return [path, *meta.get("runtime_args", [])] if path else []


def delete_leftovers(bundle: Path, task_id: str) -> None:
    """After the shim died: the runtime's record and the rootfs mount."""
    runtime = runtime_of(bundle)
    if runtime:
        subprocess.run(
            [*runtime, "--root", str(bundle / "oci"), "delete", "--force", task_id],
            capture_output=True,
            timeout=RUNTIME_SECONDS,
            check=False,
        )
        oci_shm.unmount_donor_shm(bundle)
        _unmount(bundle / "rootfs")


def _runtime_error(binary: str, verb: str, log: Path, stderr: bytes | None) -> TaskError:
    message = ""
    with contextlib.suppress(OSError):
        for line in reversed(log.read_text(errors="replace").splitlines()):
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("level") == "error":
                    message = entry.get("msg", "")
                    break
    if not message:
        with contextlib.suppress(OSError):
            message = log.read_text(errors="replace").strip().splitlines()[-1]
    message = message or (stderr or b"").decode(errors="replace").strip() or "failed"
    lowered = message.lower()
    if "executable file not found" in lowered or "no such file or directory" in lowered:
        return TaskError("CommandNotFound", message)
    if "permission denied" in lowered:
        return TaskError("CommandNotRunnable", message)
    return TaskError("Internal", f"{Path(binary).name} {verb}: {message}")


def _with_user(
    process: dict[str, Any], annotations: dict[str, str], rootfs: Path
) -> dict[str, Any]:
    """A named user (only the image's /etc knows it) made numeric, as the runtime needs it."""
    name = annotations.get(USER_ANNOTATION, "")
    if not name:
        return process
    current = process.get("user", {})
    try:
        user = users.resolve(name, current.get("uid", 0), current.get("gid", 0), root=rootfs)
    except users.UnknownUser as err:
        raise TaskError("InvalidArgument", str(err)) from None
    env = list(process.get("env", []))
    if not any(e.startswith("HOME=") for e in env):
        env.append(f"HOME={user.home}")
    return {
        **process,
        "env": env,
        "user": {"uid": user.uid, "gid": user.gid, "additionalGids": list(user.groups)},
    }


def _mount_rootfs(rootfs: Path, mounts: list[Any]) -> None:
    linux = sc.Linux()
    rootfs.mkdir(exist_ok=True)
    for mount in mounts:
        options = parse_options(list(mount.options))
        kind = "" if options.bind else mount.type
        linux.mount(mount.source, str(rootfs), kind, options.flags & ~sc.MS_RDONLY, options.data)


def _unmount(rootfs: Path) -> None:
    with contextlib.suppress(OSError):
        sc.Linux().umount(str(rootfs), sc.MNT_DETACH)
