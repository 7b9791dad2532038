"""The container's init: what the child the shim forks does, from set-up to exec.

    set up (setup.prepare) → resolve user and command → stdio (pipes, or a pty whose master
    goes back to the shim) → "ready" → wait for "start" → rlimits, no_new_privs,
    capabilities and user → cwd → execve

It talks to the shim over a SOCK_SEQPACKET pair, one JSON message per packet:
`{"ready": true}`, `{"error": "<class>", "message": "…"}`, and from the shim `{"start": true}`.
The socket is close-on-exec, so a successful execve shows as EOF to the shim. Any failure is
reported with the `dockyard.api.errors` class name the runtime should raise (CommandNotFound
→ exit 127, CommandNotRunnable → 126) and the child exits.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import json
import os
import resource
import signal
import socket
import stat
import struct
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from dockyard.api import syscalls as sc
from dockyard.api.timings import Timings
from dockyard.shim import caps, seccomp
from dockyard.shim.cgroups import Cgroup
from dockyard.shim.inroot import Root
from dockyard.shim.setup import join_cgroup, prepare
from dockyard.shim.users import UnknownUser, User, added_groups, resolve

USER_ANNOTATION = "org.dockyard.user"
INIT_ANNOTATION = "org.dockyard.init"  # "true": a small reaper stays pid 1 (docker run --init)
GROUPS_ANNOTATION = "org.dockyard.groups"  # --group-add names, as comma-separated words
FORWARDED = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RLIMITS = {
    f"RLIMIT_{n}": getattr(resource, f"RLIMIT_{n}")
    for n in (
        "CPU",
        "FSIZE",
        "DATA",
        "STACK",
        "CORE",
        "RSS",
        "NPROC",
        "NOFILE",
        "MEMLOCK",
        "AS",
        "LOCKS",
        "SIGPENDING",
        "MSGQUEUE",
        "NICE",
        "RTPRIO",
        "RTTIME",
    )
    if hasattr(resource, f"RLIMIT_{n}")
}


class InitError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    if fds:
        sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        sock.send(data)


def main(
    spec: dict[str, Any], bundle: Path, mounts: list[Any], group: Cgroup | None, sync: socket.socket
) -> NoReturn:
    """Never returns: execs the container's process or exits reporting why it could not."""
    _child(sync, "container set-up", lambda: run(spec, bundle, mounts, group, sync))


def run(
    spec: dict[str, Any], bundle: Path, mounts: list[Any], group: Cgroup | None, sync: socket.socket
) -> None:
    """Started clean by spawn.py: pid 1 of its pid namespace, stdio on 0–2, `sync` its only
    other fd, non-dumpable."""
    os.setsid()
    phases = Timings()  # sent with "ready": the shim passes them on when asked
    syscalls = sc.Linux()
    seccomp_program = _seccomp_program(spec)
    with phases.phase("setup"):  # cgroup, namespaces, rootfs, mounts, pivot_root
        prepare(spec, bundle, mounts, group, syscalls)
    resolving = time.time_ns()  # the user, the command, the terminal
    process = spec["process"]
    _make_cwd(process.get("cwd", "/"))
    user = _with_added_groups(
        spec,
        resolve(
            spec.get("annotations", {}).get(USER_ANNOTATION, ""),
            process.get("user", {}).get("uid", 0),
            process.get("user", {}).get("gid", 0),
        ),
    )
    env = list(process.get("env", []))
    if not any(e.startswith("HOME=") for e in env):
        env.append(f"HOME={user.home}")
    path = lookup(process["args"][0], env)
    if process.get("terminal"):
        _terminal(sync, user.uid, process.get("consoleSize"))
    phases.add("command", resolving, time.time_ns() - resolving)
    send(sync, {"ready": True, "timings": phases.encode()})
    if json.loads(sync.recv(4096) or b"{}").get("start") is not True:
        os._exit(1)  # the shim gave up on us
    _rlimits(process.get("rlimits", []))
    _oom_score_adj(process)
    lock_down(process, seccomp_program, syscalls)
    if spec.get("annotations", {}).get(INIT_ANNOTATION) == "true":
        _become_reaper(sync)  # returns in the child, which goes on to exec the command
    switch_user(process, user, syscalls)
    _chdir(process.get("cwd", "/"))
    _execve(path, process, env)


def _with_added_groups(spec: dict[str, Any], user: User) -> User:
    """`user` with the groups --group-add names (its numeric ones are additionalGids)."""
    names = spec.get("annotations", {}).get(GROUPS_ANNOTATION, "")
    added = added_groups([n for n in names.split(",") if n])
    return replace(user, groups=tuple(sorted({*user.groups, *added}))) if added else user


def _make_cwd(cwd: str) -> None:
    """`docker run -w DIR` makes a missing DIR (root's, 0755), inside the rootfs; what is there
    and no directory is refused in dockerd's words. Other failures: the chdir says why."""
    try:
        with Root("/") as root:
            fd = root.open(cwd, "dir")
    except NotADirectoryError:
        raise InitError("InvalidArgument", f"Cannot mkdir: {cwd} is not a directory") from None
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            raise InitError("InvalidArgument", f"Cannot mkdir: {cwd} is not a directory")
    finally:
        os.close(fd)


def _chdir(cwd: str) -> None:
    try:
        os.chdir(cwd)
    except OSError as err:
        reason = (err.strerror or "").lower()
        raise InitError(
            "InvalidArgument", f'chdir to cwd ("{cwd}") set in config.json failed: {reason}'
        ) from None


def _execve(path: str, process: dict[str, Any], env: list[str]) -> None:
    try:
        os.execve(path, process["args"], dict(e.split("=", 1) for e in env if "=" in e))
    except OSError as err:
        reason = (err.strerror or "").lower()
        raise InitError("CommandNotRunnable", f'exec: "{process["args"][0]}": {reason}') from None


def _become_reaper(sync: socket.socket) -> None:
    """`--init`: fork; the child returns to exec the command, this process stays pid 1,
    forwards signals to it, reaps every orphan, and exits as the command exits.

    Pid 1 closes its copy of `sync` at once: the shim's start waits for EOF on it, which the
    child's exec (close-on-exec) then gives, or the child's report of why it could not exec."""
    child = os.fork()
    if child == 0:
        return
    sync.close()
    for name in FORWARDED:
        signal.signal(getattr(signal, name), lambda signum, _frame: os.kill(child, signum))
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def _seccomp_program(spec: dict[str, Any]) -> bytes | None:
    """The spec's seccomp program: compiled by the shim (or its zygote) before we were forked,
    so this is a lookup; else compiled now, while the host's libseccomp is at hand."""
    profile = spec.get("linux", {}).get("seccomp")
    return seccomp.program_of(profile) if profile else None


EXEC_NAMESPACES = ("ipc", "uts", "net", "cgroup", "mnt")  # mnt last: it changes what paths mean
USER_KEY = "dockyardUser"  # an exec's user string, resolved like the init's annotation


def exec_main(
    spec: dict[str, Any],
    process: dict[str, Any],
    init_pid: int,
    group: Cgroup | None,
    sync: socket.socket,
) -> NoReturn:
    """An exec'd process: join the init's namespaces and cgroup, then become `process`."""
    _child(sync, "exec", lambda: run_exec(spec, process, init_pid, group, sync))


def _child(sync: socket.socket, what: str, work: Callable[[], None]) -> NoReturn:
    """A forked child's boundary: `work` execs, or the reason it could not goes to the shim."""
    try:
        work()
    except InitError as err:
        _fail(sync, err.kind, str(err))
    except UnknownUser as err:
        _fail(sync, "InvalidArgument", str(err))
    except OSError as err:
        _fail(sync, "Internal", f"{what} failed: {err}")
    except Exception as err:  # noqa: BLE001 - the child's boundary: report why, then exit
        _fail(sync, "Internal", f"{what} failed: {type(err).__name__}: {err}")
    _fail(sync, "Internal", f"{what} returned")


def run_exec(
    spec: dict[str, Any],
    process: dict[str, Any],
    init_pid: int,
    group: Cgroup | None,
    sync: socket.socket,
) -> None:
    """Started clean by spawn.py, already in the init's pid namespace: the rest to join."""
    os.setsid()
    syscalls = sc.Linux()
    seccomp_program = _seccomp_program(spec)
    if group is not None:
        join_cgroup(group, syscalls)  # while /sys/fs/cgroup is still the host's
    wanted = {ns["type"] for ns in spec.get("linux", {}).get("namespaces", [])}
    names = [n for n in EXEC_NAMESPACES if {"net": "network", "mnt": "mount"}.get(n, n) in wanted]
    fds = {n: os.open(f"/proc/{init_pid}/ns/{n}", os.O_RDONLY | os.O_CLOEXEC) for n in names}
    for name in names:
        syscalls.setns_fd(
            fds[name], sc.NAMESPACES[{"net": "network", "mnt": "mount"}.get(name, name)]
        )
        os.close(fds[name])
    user = _with_added_groups(
        spec,
        resolve(
            process.get(USER_KEY, ""),
            process.get("user", {}).get("uid", 0),
            process.get("user", {}).get("gid", 0),
        ),
    )
    env = list(process.get("env", []))
    if not any(e.startswith("HOME=") for e in env):
        env.append(f"HOME={user.home}")
    path = lookup(process["args"][0], env)
    if process.get("terminal"):
        _terminal(sync, user.uid, process.get("consoleSize"))
    _rlimits(process.get("rlimits", []))
    _oom_score_adj(process)
    lock_down(process, seccomp_program, syscalls)
    switch_user(process, user, syscalls)
    _chdir(process.get("cwd", "/"))
    _execve(path, process, env)


def lookup(command: str, env: list[str]) -> str:
    """Where `command` is, the way exec.LookPath finds it with the container's PATH."""
    if "/" in command:
        _check_executable(command, command)
        return command
    search = next((e[5:] for e in env if e.startswith("PATH=")), DEFAULT_PATH)
    for directory in search.split(":"):
        candidate = os.path.join(directory or ".", command)
        try:
            mode = os.stat(candidate).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and mode & 0o111:
            return candidate
    raise InitError("CommandNotFound", f'exec: "{command}": executable file not found in $PATH')


def _check_executable(command: str, path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InitError(
            "CommandNotFound", f'exec: "{command}": stat {path}: no such file or directory'
        ) from None
    if not stat.S_ISREG(mode) or not mode & 0o111:
        raise InitError("CommandNotRunnable", f'exec: "{command}": permission denied')


def _terminal(sync: socket.socket, uid: int, size: dict[str, int] | None = None) -> None:
    """A pty in the container's own devpts, of the process's consoleSize when it has one;
    its master goes back to the shim."""
    master, slave = os.openpty()
    os.fchown(slave, uid, -1)
    if size and size.get("width") and size.get("height"):
        winsize = struct.pack("HHHH", size["height"], size["width"], 0, 0)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, winsize)
    send(sync, {"terminal": True}, [master])
    os.close(master)
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    if slave > 2:
        os.close(slave)


def _rlimits(limits: list[dict[str, Any]]) -> None:
    for limit in limits:
        kind = RLIMITS.get(limit["type"])
        if kind is None:
            raise InitError("InvalidArgument", f"unknown rlimit {limit['type']}")
        if not all(-1 <= limit[k] < 2**63 for k in ("soft", "hard")):
            raise InitError("InvalidArgument", f"invalid rlimit {limit['type']}: {limit}")
        _, hard_now = resource.getrlimit(kind)
        hard = _at_most(limit["hard"], hard_now)  # never above our own hard limit: the host refuses
        resource.setrlimit(kind, (_at_most(limit["soft"], hard), hard))


def _oom_score_adj(process: dict[str, Any]) -> None:
    """The OOM killer's bias for this process and its children (lowering it needs our caps)."""
    if "oomScoreAdj" not in process:
        return
    try:
        Path("/proc/self/oom_score_adj").write_text(str(int(process["oomScoreAdj"])))
    except OSError as err:
        wanted = process["oomScoreAdj"]  # below 0 needs CAP_SYS_RESOURCE, which a host may lack
        raise InitError(
            "InvalidArgument", f"cannot set oom_score_adj to {wanted}: {err.strerror}"
        ) from None


def _at_most(value: int, ceiling: int) -> int:
    """The smaller of two rlimit values, where RLIM_INFINITY (-1) is the largest."""
    if ceiling == resource.RLIM_INFINITY:
        return value
    return ceiling if value == resource.RLIM_INFINITY else min(value, ceiling)


def lock_down(process: dict[str, Any], program: bytes | None, syscalls: sc.Syscalls) -> None:
    """no_new_privs when asked, then the seccomp filter, while CAP_SYS_ADMIN is still held."""
    if process.get("noNewPrivileges"):
        syscalls.prctl(sc.PR_SET_NO_NEW_PRIVS, 1)
    if program is not None:
        syscalls.seccomp(program)


def switch_user(process: dict[str, Any], user: Any, syscalls: sc.Syscalls) -> None:
    """The bounding set cut to the spec's, then groups, gid and uid, then the capabilities
    (kept across setuid by PR_SET_KEEPCAPS; none for a user other than root, as docker)."""
    wanted = process.get("capabilities", {})
    bounding = caps.mask(wanted.get("bounding", []))
    for cap in range(caps.last_cap() + 1):
        if not bounding & (1 << cap):
            syscalls.prctl(sc.PR_CAPBSET_DROP, cap)
    syscalls.prctl(sc.PR_SET_KEEPCAPS, 1)
    extra = tuple(process.get("user", {}).get("additionalGids", []))
    syscalls.setgroups(sorted(set(user.groups + extra)))
    syscalls.setgid(user.gid)
    syscalls.setuid(user.uid)
    syscalls.prctl(sc.PR_SET_KEEPCAPS, 0)
    if user.uid != 0:  # docker gives a non-root user no effective or permitted capabilities
        syscalls.capset(0, 0, 0)
        return
    syscalls.capset(
        caps.mask(wanted.get("effective", [])),
        caps.mask(wanted.get("permitted", [])),
        caps.mask(wanted.get("inheritable", [])),
    )


def _fail(sync: socket.socket, kind: str, message: str) -> NoReturn:
    with contextlib.suppress(OSError):
        send(sync, {"error": kind, "message": message})
    sys.stderr.write(f"dockyard-init: {message}\n")
    os._exit(127 if kind == "CommandNotFound" else 126 if kind == "CommandNotRunnable" else 1)
