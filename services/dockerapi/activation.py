"""The Docker API front's listeners, bound at start, and its wait for a first client.

Most engines are driven by the `dockyard` CLI alone, and the Docker API front then serves
nobody. So it starts as docker's own `docker.socket` unit starts dockerd: its sockets are bound
and listening at once (a client that connects early waits in the backlog, never finds the path
missing), and only the first connection makes it build what serving needs — its event loop,
the channel to the engine, aiohttp's application and every handler module. Until then the
process (forked from the supervisor's preloaded interpreter) has written next to nothing of its
own: ~1 MiB of private memory instead of ~8.

Waiting is a poll(2) on the listening sockets; nothing is accepted, so the first client's
connection is served by aiohttp like every later one. The supervisor takes "listening" for
"ready" (it reads /proc/net/unix and does not connect: a probe would end the wait). SIGTERM or
SIGINT during the wait stops the front as they stop a serving one.

Bound here, each listener as dockerd binds it: `unix` sockets created 0660 and owned by root
(bound under a umask that leaves no moment at which others could connect; a stale socket file
is removed first — the caller holds the lock that proves no other copy of us owns it), `tcp`
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


class Stopped(Exception):
    """SIGTERM or SIGINT came while no client had connected yet."""


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
