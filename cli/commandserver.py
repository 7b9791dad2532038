"""The command server: the `dockyard` CLI preloaded once, a child per command.

    python -m dockyard.cli.commandserver --root R --state S [--config C] [--debug]

The engine's supervisor runs it beside the services (service name `cli`). The client
(`launcher.py`, which documents the protocol) connects to `<state>/cli.sock`; the server reads
the command and the client's fds 0-2, forks, and the child (`forked.py`) becomes that command:
it runs the real typer CLI on those fds, in the client's working directory, environment and
umask, and dials the engine itself. The child sends the client its pid and a pidfd of itself
(the client signals it directly: nothing races, and it works without us), and its exit code
when it ends; the server reaps it (through a pidfd) and sends how it ended, which the client
prefers (it knows deaths by a signal too). A client that vanishes takes its child with it
(SIGKILL), as a CLI process that died would have; a command outlives a restart of the server.

Who may connect: the socket is 0600 in the state dir, and a peer whose SO_PEERCRED uid
(unix(7)) is neither root nor ours is refused — the same people who may use the engine's socket.

gRPC and fork (grpc's doc/fork_support.md): this process imports grpc and the generated stubs
but never creates a channel, an event loop or a thread, so each forked child starts gRPC from
scratch. It is single-threaded: one selector over the listening socket, the connections and the
children's pidfds.

The spare (`spare.py`): once a command came, one child is forked ahead for the next, starts
gRPC and dials the engine, so that a command need not wait for that (~10 ms); a command is
handed to it when it is ready, else forked as above. A spare unused for SPARE_IDLE goes.

Stale code is never run: a client from another installation (its launcher.py is not ours), or
any loaded module file changed on disk since the preload (an upgrade, a developer's edit),
gets `stale` and runs the command in-process; in the second case the server also drains and
exits, so the supervisor starts a fresh one.

Stop (SIGTERM/SIGINT): stop accepting, remove the socket, wait for the running commands (the
engine, stopped first, ends those waiting on it), exit.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import selectors
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.api.fingerprint import Watched
from dockyard.cli import forked, launcher, preload, spare

log = logging.getLogger("cli")

MAX_FDS = 3
SPARE_IDLE = 60.0  # seconds a spare waits for a command before it goes (its ~5 MiB back)
PEERCRED = struct.Struct("3i")


@dataclass
class Connection:
    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)
    fds: list[int] = field(default_factory=list)
    pid: int = 0
    pidfd: int = -1

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.sock.setblocking(True)
            launcher.send_frame(self.sock, message)
        except OSError:
            pass  # the client is gone

    def close_fds(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


@dataclass
class Spare:
    """A child forked ahead for the next command (spare.py), and our end of its socketpair."""

    pid: int
    pidfd: int
    sock: socket.socket
    ready: bool = False
    since: float = field(default_factory=time.monotonic)


class CommandServer:
    def __init__(self, path: Path, engine: str = "") -> None:
        self.path = path
        self.engine = engine  # the engine's address, which spares dial ahead ("" for none)
        self.spare: Spare | None = None
        self.listener = _listen(path)
        self.selector = selectors.DefaultSelector()
        self.connections: dict[int, Connection] = {}  # by socket fd
        self.children: dict[int, Connection] = {}  # by pidfd
        self.stopping = False
        self.wakeup_r, self.wakeup_w = socket.socketpair()
        self.watched: Watched | None = None  # the preloaded files, once loaded

    def serve(self) -> None:
        self.watched = Watched(preload.load())
        self.wakeup_w.setblocking(False)
        signal.set_wakeup_fd(self.wakeup_w.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop_signal)
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, self._woken)
        log.info("serving on %s (%d modules preloaded)", self.path, len(sys.modules))
        while not self.stopping or self.connections:
            for key, _ in self.selector.select(self._spare_left()):
                if self.selector.get_map().get(key.fd) is key:  # not gone in this round
                    key.data(key.fileobj)
            if self._spare_left() == 0:
                self._end_spare()  # no command for a while: give its memory back
        log.info("stopped")

    # -- events ---------------------------------------------------------------------------------

    def _stop_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _woken(self, sock: socket.socket) -> None:
        sock.recv(64)
        if self.stopping:
            self.stop_accepting()

    def stop_accepting(self) -> None:
        self.stopping = True
        if self.listener.fileno() >= 0:
            self.selector.unregister(self.listener)
            self.listener.close()
            self.path.unlink(missing_ok=True)
        for connection in [c for c in self.connections.values() if not c.pid]:
            self._drop(connection)  # not started: their clients run in-process
        self._end_spare()

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        _, uid, _ = PEERCRED.unpack(
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size)
        )
        if uid not in (0, os.geteuid()):
            log.warning("refused a client with uid %d", uid)
            sock.close()
            return
        changed = self.watched.changed() if self.watched is not None else ""
        if changed:  # before reading: a newer client may not even speak our protocol
            log.info("%s changed on disk: stopping, the supervisor starts a fresh one", changed)
            sock.close()  # its client runs the command in-process
            self.stop_accepting()
            return
        sock.setblocking(False)
        connection = Connection(sock)
        self.connections[sock.fileno()] = connection
        self.selector.register(sock, selectors.EVENT_READ, self._readable)

    def _readable(self, sock: socket.socket) -> None:
        connection = self.connections[sock.fileno()]
        try:
            data, fds = _receive(sock)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        connection.fds += fds
        if not data:
            self._client_gone(connection)
            return
        connection.buffer += data
        try:
            frames = launcher.split_frames(connection.buffer)
        except ValueError as err:
            log.warning("dropped a client: %s", err)
            self._drop(connection)
            return
        for message in frames:
            self._message(connection, message)

    def _message(self, connection: Connection, message: dict[str, Any]) -> None:
        if connection.pid:
            return  # a client says nothing once its command runs (it signals the child itself)
        why = self._stale(message, connection)
        if why:
            connection.send({"stale": why})
            self._drop(connection)
            return
        self._fork(connection, message)

    def _stale(self, message: dict[str, Any], connection: Connection) -> str:
        client = launcher.text(message.get("launcher"))  # bytes from the C client
        if client != os.path.realpath(launcher.__file__):
            return f"another installation ({client})"
        if len(connection.fds) != MAX_FDS:
            return "the client's stdin, stdout and stderr did not come"
        if not os.path.isdir(launcher.text(message.get("cwd"))):
            return "the working directory is not there"
        return ""

    def _fork(self, connection: Connection, message: dict[str, Any]) -> None:
        if not self._hand_to_spare(connection, message):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                forked.become(message, connection, lambda: self.close_inherited(connection))
            connection.pid = pid
            connection.pidfd = os.pidfd_open(pid)
            connection.close_fds()
            self.children[connection.pidfd] = connection
            self.selector.register(connection.pidfd, selectors.EVENT_READ, self._exited)
        self._fork_spare()  # for the next command

    # -- the spare ------------------------------------------------------------------------------

    def _spare_left(self) -> float | None:
        """Seconds until the spare has waited SPARE_IDLE for a command (None: no spare)."""
        if self.spare is None:
            return None
        return max(0.0, self.spare.since + SPARE_IDLE - time.monotonic())

    def _fork_spare(self) -> None:
        if not self.engine or self.stopping or self.spare is not None:
            return
        ours, theirs = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            ours.close()
            spare.serve(theirs, self.engine, lambda: self.close_inherited(None))
        theirs.close()
        self.spare = Spare(pid, os.pidfd_open(pid), ours)
        self.selector.register(ours, selectors.EVENT_READ, self._spare_says)

    def _spare_says(self, sock: socket.socket) -> None:
        if self.spare is None or sock is not self.spare.sock:
            return  # a spare handed a command already (its word came with that command)
        try:
            data = sock.recv(16, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.spare.ready = True
            return
        log.warning("the spare child (pid %d) went away before a command came", self.spare.pid)
        self._end_spare()  # the next command forks; a spare comes again after it

    def _hand_to_spare(self, connection: Connection, message: dict[str, Any]) -> bool:
        """Give the command to the spare; False when there is none ready (then we fork)."""
        ready = self.spare
        if ready is not None and not ready.ready:
            self._spare_says(ready.sock)  # its word may have come with this command's
            ready = self.spare
        if ready is None or not ready.ready:
            return False
        self.spare = None
        self.selector.unregister(ready.sock)
        try:
            ready.sock.setblocking(True)
            launcher.send_frame(ready.sock, message, [connection.sock.fileno(), *connection.fds])
        except OSError as err:
            log.warning("the spare child (pid %d) took no command: %s", ready.pid, err)
            self._kill_spare(ready)
            return False
        ready.sock.close()
        connection.pid, connection.pidfd = ready.pid, ready.pidfd
        connection.close_fds()
        self.children[connection.pidfd] = connection
        self.selector.register(connection.pidfd, selectors.EVENT_READ, self._exited)
        return True

    def _end_spare(self) -> None:
        if self.spare is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(self.spare.sock)
            self._kill_spare(self.spare)
            self.spare = None

    def _kill_spare(self, child: Spare) -> None:
        _signal(child.pidfd, signal.SIGKILL)
        child.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, 0)
        os.close(child.pidfd)

    def _exited(self, pidfd: int) -> None:
        connection = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        _, status = os.waitpid(connection.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        connection.send(
            {"killed": -code, "reaped": True} if code < 0 else {"exit": code, "reaped": True}
        )
        os.close(pidfd)
        connection.pidfd, connection.pid = -1, 0
        self._drop(connection)

    def _client_gone(self, connection: Connection) -> None:
        if connection.pid:
            _signal(connection.pidfd, signal.SIGKILL)  # as if the CLI process had died
            self.selector.unregister(connection.sock)  # keep the child until it is reaped
            return
        self._drop(connection)

    def _drop(self, connection: Connection) -> None:
        self.connections.pop(connection.sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):  # unregistered when its client left
            self.selector.unregister(connection.sock)
        connection.close_fds()
        connection.sock.close()

    def close_inherited(self, mine: Connection | None) -> None:
        """In a forked child: close every fd of the server but the child's own connection
        (others' sockets, pidfds, the spare's, the listener, the wake-up pair, the watch)."""
        signal.set_wakeup_fd(-1)
        if self.watched is not None:
            self.watched.close()
        self.selector.close()
        for connection in list(self.connections.values()):
            if connection is not mine:
                connection.sock.close()
                connection.close_fds()
        for pidfd in self.children:
            os.close(pidfd)
        if self.spare is not None:
            self.spare.sock.close()
            os.close(self.spare.pidfd)
        for sock in (self.listener, self.wakeup_r, self.wakeup_w):
            sock.close()


def _listen(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path.unlink(missing_ok=True)  # stale: the supervisor runs one of us per state dir
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    sock.listen(128)
    return sock


def _receive(sock: socket.socket) -> tuple[bytes, list[int]]:
    data, fds, _, _ = socket.recv_fds(sock, 65536, MAX_FDS)
    return data, list(fds)


def _signal(pidfd: int, signum: int) -> None:
    with contextlib.suppress(OSError, ValueError):  # already gone, or not a signal
        signal.pidfd_send_signal(pidfd, signum)


def main(argv: list[str] | None = None) -> None:
    from dockyard.api.paths import Paths

    parser = argparse.ArgumentParser(prog="dockyard-cli", description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="persistent data dir (env DOCKYARD_ROOT)")
    parser.add_argument("--state", help="runtime state dir (env DOCKYARD_STATE)")
    parser.add_argument("--config", help="daemon.json (unused: the CLI reads no daemon config)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s cli[%(process)d]: %(message)s",
        stream=sys.stderr,
    )
    paths = Paths.from_env(args.root, args.state)
    paths.state.mkdir(parents=True, exist_ok=True, mode=0o711)
    CommandServer(paths.socket("cli"), paths.address("engine")).serve()


if __name__ == "__main__":
    main()
