"""Which of an engine's processes run for a state dir, found without asking them.

Where the pids are recorded: a gRPC service holds `<state>/<service>.lock` while it runs and
writes its pid into it (`bootstrap`); the supervisor writes its own to `<state>/supervisor.pid`
and every service's to `<state>/supervisor.json` (the only record of the CLI's command server).
A recorded pid counts as ours only while that process holds the program's lock file open (seen
in /proc/<pid>/fd) or runs that program for this state dir (its command line is `python -m
<module> … --state <state>`, as the supervisor starts it), so a pid the kernel has since given
to another process is never taken for ours. `pin()` checks that *after* opening a pidfd
(pidfd_open(2)), so the signals sent through it reach the process that was checked, even if it
dies and its pid is reused.

Used by the supervisor (to adopt the services a killed supervisor left running) and by
`dockyard daemon status|stop` (to tell and stop what runs when the supervisor is gone).
Standard library only: the CLI imports it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
from pathlib import Path

from dockyard.api.paths import SERVICES, Paths

SUPERVISOR = "supervisor"


class Pinned:
    """A running process of ours, held by a pidfd (not necessarily our child)."""

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.pidfd = pidfd

    def exited(self, timeout: float = 0.0) -> bool:
        """Wait up to `timeout` seconds for the process to exit (the pidfd becomes readable)."""
        poller = select.poll()
        poller.register(self.pidfd, select.POLLIN)
        return bool(poller.poll(max(0, int(timeout * 1000))))

    def signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self.pidfd, number)

    def terminate(self, grace: float) -> bool:
        """SIGTERM, then SIGKILL after `grace` seconds; True once the process is gone."""
        self.signal(signal.SIGTERM)
        if self.exited(grace):
            return True
        self.signal(signal.SIGKILL)
        return self.exited(grace)

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


def pin(paths: Paths, program: str) -> Pinned | None:
    """The running `program` ("supervisor" or a service name) of this state dir, or None."""
    for pid in _recorded(paths, program):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # gone (ESRCH), or never a pid
            continue
        if _ours(pid, paths, program):
            return Pinned(pid, pidfd)
        os.close(pidfd)
    return None


def running(paths: Paths, program: str) -> int:
    """The pid of the running `program` of this state dir, or 0."""
    pinned = pin(paths, program)
    if pinned is None:
        return 0
    pinned.close()
    return pinned.pid


def running_services(paths: Paths) -> dict[str, int]:
    """Every service of this state dir that runs: name → pid, in start order."""
    found = {name: running(paths, name) for name in SERVICES}
    return {name: pid for name, pid in found.items() if pid}


def _recorded(paths: Paths, program: str) -> list[int]:
    """The pids recorded for `program`, its own record first."""
    if program == SUPERVISOR:
        return _pids([_read(paths.state / "supervisor.pid")])
    try:
        published = json.loads(_read(paths.state / "supervisor.json"))["services"][program]["pid"]
    except (ValueError, KeyError, TypeError):
        published = ""
    return _pids([_read(paths.state / f"{program}.lock"), str(published)])


def _pids(texts: list[str]) -> list[int]:
    pids = []
    for text in texts:
        with contextlib.suppress(ValueError, IndexError):
            pids.append(int(text.split()[0]))
    return [pid for pid in pids if pid > 0]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _ours(pid: int, paths: Paths, program: str) -> bool:
    return _holds(pid, paths.state / f"{program}.lock") or _runs(pid, paths, program)


def _runs(pid: int, paths: Paths, program: str) -> bool:
    """Whether process `pid` was started as `python -m <program's module> … --state <state>`."""
    module = "dockyard.services.supervisor" if program == SUPERVISOR else paths.module(program)
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return _after(argv, "-m") == module and _after(argv, "--state") == str(paths.state)


def _after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else ""


def _holds(pid: int, lock: Path) -> bool:
    """Whether process `pid` has `lock` open."""
    target = os.path.realpath(lock)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
    return False
