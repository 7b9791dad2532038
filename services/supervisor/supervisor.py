"""Supervises the services of one engine (and the CLI's command server) as separate processes.

Start: in dependency order (snapshots, images, network, runtime, cli, engine, dockerapi), each
one only once the one before listens on its socket (seen in /proc/net/unix, not by connecting).
The Docker API front is the exception: the supervisor listens on its sockets itself and starts
it when a first client connects, as docker.socket starts dockerd (`activation.py`); until then
it is "listening" (pid 0), and after it exited (a crash, a kill) it is "listening" again once
its back-off is over, the clients that came meanwhile waiting in the sockets' backlog. Services still running from a supervisor
that was killed (found by `dockyard.api.instances`, checked to be ours) are adopted, not started
twice: they keep serving, and no container or client notices; an adopted service is watched
through a pidfd (it is not our child, so no SIGCHLD tells of its exit) and restarted as our
child when it exits.

Run: a service that exits is restarted after a back-off (`next_backoff`): it doubles from 0.2 s,
up to 1 s for a service that had come up (answered on its socket) — so one is back within about
2 s of any crash — and up to 10 s for one that dies before it answers (it cannot start: no point
spinning); it resets once a service has run for 30 s. Stop (SIGTERM/SIGINT): in reverse order,
SIGTERM then SIGKILL after a grace period; shims and their containers are left running (they
outlive every service by design).

How a service starts: forked from the supervisor, which imported every service's modules once
at its own start, so that those pages are shared copy-on-write by all of them (`forking.py`);
the child is what `python -m <module> --root R --state S …` would be, that command line
included. Exec'd instead (fork, then exec) when that code changed on disk since the supervisor
loaded it: a service restarted after an upgrade runs the new code.

The supervisor is a child subreaper (prctl PR_SET_CHILD_SUBREAPER, see prctl(2)): shims, started
by the runtime through a launcher that exits, are reparented here and reaped here, whatever init
the host has. It is single-threaded: it imports gRPC (for its children) but never makes a
channel, a server, an event loop or a thread (grpc's doc/fork_support.md), and it waits for
signals with sigtimedwait(2) rather than handlers, so nothing races.

Its state is published for `dockyard daemon status` in `<state>/supervisor.json` (rewritten
atomically on every change) and its pid in `<state>/supervisor.pid`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from dockyard.api import instances, syscalls
from dockyard.api.files import write_atomic
from dockyard.api.paths import SERVICES, Paths
from dockyard.services.supervisor import activation, forking

log = logging.getLogger("supervisor")

BACKOFF_FIRST = 0.2
BACKOFF_MAX_UP = 1.0  # for a service that had answered: back within ~2 s of a crash
BACKOFF_MAX = 10.0  # for a service that died before it answered
ADOPTED_POLL = 0.2  # how often adopted services (no SIGCHLD for them) are checked
STABLE_SECONDS = 30.0
READY_SECONDS = 60.0
STOP_GRACE = 10.0
SIGNALS = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGIO}
ACTIVATED = "dockerapi"  # started on its first client's connection (activation.py)
SO_ACCEPTCON = 0x10000  # a listening socket's flag in /proc/net/unix (include/linux/net.h)


@dataclass
class Service:
    name: str
    pid: int = 0
    state: str = "stopped"  # starting | running | backoff | stopped | listening (activated)
    restarts: int = 0
    since: float = field(default_factory=time.time)
    started: float = 0.0
    came_up: bool = False  # listened on its socket since it was last started
    backoff: float = 0.0  # the delay before its last restart
    retry_at: float = 0.0
    adopted: instances.Pinned | None = None  # left running by a killed supervisor


def next_backoff(previous: float, ran: float, came_up: bool) -> float:
    """The delay before restarting a service that exited after `ran` seconds."""
    if previous == 0.0 or ran >= STABLE_SECONDS:
        return BACKOFF_FIRST
    return min(previous * 2, BACKOFF_MAX_UP if came_up else BACKOFF_MAX)


class Supervisor:
    def __init__(self, paths: Paths, extra_args: list[str]) -> None:
        self.paths = paths
        self.extra_args = extra_args
        self.services = {name: Service(name) for name in SERVICES}
        self.started = time.time()
        self.stopping = False
        self.preload = forking.Preload()
        self.front = activation.Sockets(self.args())

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        _subreaper()
        argvs = [self.argv(name) for name in SERVICES]
        self.preload.load([argv[2] for argv in argvs], forking.room_for(argvs))
        self.adopt()
        self.publish()
        for service in self.services.values():
            if not service.adopted:
                self.start(service)
            self.wait_ready(service)
        while not self.stopping:
            self.handle(signal.sigtimedwait(SIGNALS, self.next_timeout()))
            self.check_adopted()
            self.retry_due()
        self.stop_all()

    def adopt(self) -> None:
        """Take over the services a killed supervisor left running (instead of a second copy,
        which would refuse to start for this state dir)."""
        for service in self.services.values():
            pinned = instances.pin(self.paths, service.name)
            if pinned is not None:
                service.adopted, service.pid, service.state = pinned, pinned.pid, "starting"
                service.started = time.time()
                log.info(
                    "adopted %s (pid %d), left by an earlier supervisor", service.name, pinned.pid
                )

    def handle(self, info: signal.struct_siginfo | None) -> None:
        if info is None:
            return
        if info.si_signo in (signal.SIGTERM, signal.SIGINT):
            log.info("stopping on signal %d (from pid %d)", info.si_signo, info.si_pid)

            self.stopping = True
        self.reap()
        self.activate_due()

    def next_timeout(self) -> float:
        waits = [s.retry_at - time.time() for s in self.services.values() if s.state == "backoff"]
        if any(s.adopted for s in self.services.values()):
            waits.append(ADOPTED_POLL)
        return max(0.01, min(waits, default=5.0))

    def check_adopted(self) -> None:
        for service in self.services.values():
            if service.adopted is not None and service.adopted.exited():
                self.exited(service, "exited (not our child: its code is not ours to know)")

    # -- processes --------------------------------------------------------------------------

    def start(self, service: Service) -> None:
        """Spawn `service`, or listen for its first client if it is the activated one."""
        if service.name != ACTIVATED or self.stopping or not self.front.listen():
            self.spawn(service)
            return
        service.state, service.since, service.came_up = "listening", time.time(), True
        log.info("listening for %s's first client", service.name)
        self.publish()
        self.activate_due()

    def activate_due(self) -> None:
        """Start the activated service if it is listening and a client waits (after SIGIO)."""
        service = self.services[ACTIVATED]
        if service.state == "listening" and not self.stopping and self.front.pending():
            self.front.watch(False)
            self.spawn(service, self.front.fds())
            if service.pid:
                service.state = "running"  # its sockets listen: ready as soon as it runs
                self.publish()

    def spawn(self, service: Service, passed: list[int] | None = None) -> None:
        """Fork `service` from the preload, or start it by exec (see `forking`), handing it
        the `passed` listening sockets."""
        argv = self.argv(service.name)
        preloaded = self.preload.usable(argv)
        try:
            with self._output(service.name) as out:
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    forking.become(argv, out.fileno(), SIGNALS, preloaded, passed or [])
        except OSError as err:  # no process (out of memory, of pids): as if it died at once
            service.started, service.came_up = time.time(), False
            self.exited(service, f"could not be started ({err})")
            return
        service.pid, service.state, service.started = pid, "starting", time.time()
        service.since, service.came_up = service.started, False
        how = "forked" if preloaded else "exec'd"
        log.info("started %s (pid %d, %s)", service.name, pid, how)
        self.publish()

    def argv(self, name: str) -> list[str]:
        return [sys.executable, "-m", self.paths.module(name), *self.args()]

    def _output(self, name: str) -> BinaryIO:
        """The service's log file; /dev/null when it cannot be opened (a full disk must not
        keep a service down)."""
        path = self.paths.log(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return open(path, "ab")
        except OSError as err:
            log.warning("%s logs nowhere: %s", name, err)
            return open(os.devnull, "ab")

    def args(self) -> list[str]:
        return ["--root", str(self.paths.root), "--state", str(self.paths.state), *self.extra_args]

    def wait_ready(self, service: Service) -> None:
        """Block (still reaping) until `service` listens on its socket, or it died."""
        deadline = time.time() + READY_SECONDS
        while service.state == "starting" and time.time() < deadline and not self.stopping:
            if _listens(self.paths.socket(service.name)):
                service.state, service.since, service.came_up = "running", time.time(), True
                self.publish()
                return
            self.handle(signal.sigtimedwait(SIGNALS, 0.02))
            self.check_adopted()

    def reap(self) -> None:
        """Collect every exited child: services (restart them) and adopted shims (just reap)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for service in self.services.values():
                if service.pid == pid and service.adopted is None:
                    self.exited(service, f"exited with {os.waitstatus_to_exitcode(status)}")

    def exited(self, service: Service, what: str) -> None:
        service.pid = 0
        if service.adopted is not None:
            service.adopted.close()
            service.adopted = None
        if self.stopping:
            service.state = "stopped"
            return
        ran = time.time() - service.started
        service.backoff = next_backoff(service.backoff, ran, service.came_up)
        service.state, service.since = "backoff", time.time()
        service.retry_at = time.time() + service.backoff
        log.warning(
            "%s %s after %.1fs; restarting in %.1fs", service.name, what, ran, service.backoff
        )
        self.publish()

    def retry_due(self) -> None:
        for service in self.services.values():
            if service.state == "backoff" and time.time() >= service.retry_at and not self.stopping:
                service.restarts += 1
                self.start(service)
                self.wait_ready(service)

    def stop_all(self) -> None:
        for name in reversed(SERVICES):
            self.stop_one(self.services[name])
        self.front.close()
        for path in (self.paths.state / "supervisor.json", self.paths.state / "supervisor.pid"):
            path.unlink(missing_ok=True)
        log.info("stopped")

    def stop_one(self, service: Service) -> None:
        if service.adopted is not None:
            if not service.adopted.terminate(STOP_GRACE):
                log.warning("adopted %s (pid %d) did not stop", service.name, service.pid)
            self.exited(service, "stopped")
        if not service.pid:
            return
        os.kill(service.pid, signal.SIGTERM)
        deadline = time.time() + STOP_GRACE
        while service.pid and time.time() < deadline:
            self.handle(signal.sigtimedwait(SIGNALS, 0.1))
        if service.pid:
            log.warning("%s did not stop in %.0fs: SIGKILL", service.name, STOP_GRACE)
            os.kill(service.pid, signal.SIGKILL)
            while service.pid:
                self.handle(signal.sigtimedwait(SIGNALS, 0.1))
        service.state, service.since = "stopped", time.time()
        self.publish()

    # -- published state ----------------------------------------------------------------------

    def publish(self) -> None:
        doc = {
            "pid": os.getpid(),
            "root": str(self.paths.root),
            "state": str(self.paths.state),
            "started": _rfc3339(self.started),
            "services": {
                s.name: {
                    "pid": s.pid,
                    "state": s.state,
                    "restarts": s.restarts,
                    "adopted": s.adopted is not None,
                    "backoff": s.backoff,
                    "since": _rfc3339(s.since),
                    "socket": str(self.paths.socket(s.name)),
                }
                for s in self.services.values()
            },
        }
        try:
            write_atomic(self.paths.state / "supervisor.json", json.dumps(doc, indent=2) + "\n")
        except OSError as err:  # a full or vanished state dir: `daemon status` misses a change
            log.warning("cannot publish the supervisor's state: %s", err)


def lock(paths: Paths) -> int:
    """Take `<state>/supervisor.lock` (one supervisor per state dir) and write the pid file."""
    paths.state.mkdir(parents=True, exist_ok=True, mode=0o711)
    fd = os.open(paths.state / "supervisor.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"dockyard daemon: already running for state dir {paths.state}")
    write_atomic(paths.state / "supervisor.pid", f"{os.getpid()}\n")
    return fd


def _listens(path: Path) -> bool:
    """Whether a socket of this network namespace listens on `path` (unix(7): /proc/net/unix
    lists each bound socket, the listening ones with __SO_ACCEPTCON in their flags, by the path
    given to bind(2): gRPC's "unix:///s" binds "///s")."""
    wanted = _normal(str(path))
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split(None, 7)  # Num RefCount Protocol Flags Type St Inode Path
        if len(fields) == 8 and int(fields[3], 16) & SO_ACCEPTCON and _normal(fields[7]) == wanted:
            return True
    return False


def _normal(path: str) -> str:
    return "/" + os.path.normpath(path).lstrip("/")


def _subreaper() -> None:
    try:
        syscalls.Linux().prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
    except OSError as err:
        log.warning("cannot become a child subreaper: %s", err)


def _rfc3339(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")
