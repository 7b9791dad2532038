"""The Docker API front's listeners: passed by the supervisor, or bound at start and waited on.

Under the supervisor, the front is started only when a client connects to the sockets the
supervisor listens on for it, and it gets them as sd_listen_fds(3) passes them (`passed`).
Started alone, it does the same within its own process, as follows.

Most engines are driven by the `dockyard` CLI alone, and the Docker API front then serves
nobody. So it starts as docker's own `docker.socket` unit starts dockerd: its sockets are bound
and listening at once (a client that connects early waits in the backlog, never finds the path
missing), and only the first connection makes it build what serving needs — its event loop,
the channel to the engine, aiohttp's application and every handler module.

Waiting is a poll(2) on the listening sockets; nothing is accepted, so the first client's
connection is served by aiohttp like every later one. SIGTERM or SIGINT during the wait stops
the front as they stop a serving one.

Bound here, each listener as dockerd binds it: `unix` sockets created 0660 and owned by root
(bound under a umask that leaves no moment at which others could connect; a stale socket file
is removed first — the caller holds the front's lock, or the supervisor's with no front running,
which proves no other copy of us owns it), `tcp`
ones on their address (their TLS context is applied when served).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
from types import FrameType
from urllib.parse import urlsplit

from dockyard.api import errors

SOCKET_MODE = 0o660
BACKLOG = 128


FIRST_PASSED_FD = 3


class Stopped(Exception):
    """SIGTERM or SIGINT came while no client had connected yet."""


def passed(expected: int) -> list[socket.socket]:
    """The listening sockets handed to this process (LISTEN_FDS of them from fd 3, when
    LISTEN_PID is ours), or none; more or fewer than `expected` is refused."""
    if os.environ.pop("LISTEN_PID", "") != str(os.getpid()):
        return []
    count = int(os.environ.pop("LISTEN_FDS", "0") or 0)
    if count != expected:
        raise errors.Internal(f"handed {count} sockets for {expected} listeners")
    return [socket.socket(fileno=FIRST_PASSED_FD + index) for index in range(count)]


def bind(kind: str, where: str) -> socket.socket:
    """A listening socket for ("unix", path) or ("tcp", "host:port")."""
    if kind == "unix":
        return _bind_unix(where)
    split = urlsplit(f"tcp://{where}")
    if not split.port:
        raise errors.InvalidArgument(f"invalid host tcp://{where}: a port is required")
    try:
        return socket.create_server((split.hostname or "0.0.0.0", split.port), backlog=BACKLOG)
    except OSError as err:
        raise errors.Unavailable(f"cannot listen on tcp://{where}: {err}") from None


def wait_for_client(listening: list[socket.socket]) -> None:
    """Return once a client connects to one of `listening`; raise `Stopped` on a stop signal."""
    poller = select.poll()
    for sock in listening:
        poller.register(sock, select.POLLIN)
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not poller.poll():
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def _bind_unix(path: str) -> socket.socket:
    os.makedirs(os.path.dirname(path), mode=0o711, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o117)
    try:
        sock.bind(path)
    except OSError as err:
        sock.close()
        raise errors.Unavailable(f"cannot listen on unix://{path}: {err}") from None
    finally:
        os.umask(old)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    os.chmod(path, SOCKET_MODE)
    sock.listen(BACKLOG)
    return sock
