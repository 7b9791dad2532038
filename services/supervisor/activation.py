"""Sockets the supervisor listens on for the Docker API front, which it starts on demand.

Most engines are driven by the `dockyard` CLI alone, and the Docker API front then serves
nobody. So the supervisor activates it as systemd's `docker.socket` activates dockerd: it binds
and listens on the front's sockets itself (`<state>/docker.sock` and daemon.json's `hosts`,
bound as the front binds them: `dockyard.services.dockerapi.activation`), and starts the front
only when a client connects, handing it the listening sockets as fds 3, 4, … with
`LISTEN_FDS`/`LISTEN_PID` in its environment (systemd's sd_listen_fds(3) protocol). A client
never finds the socket missing: connections wait in the backlog while the front starts, and
while it is down (crashed, killed, restarting after a back-off); the front serves them once up.

How the supervisor learns of a connection without a thread or a poll loop: the sockets are
set O_ASYNC with the supervisor as their owner (fcntl(2) F_SETOWN), so the kernel sends it
SIGIO when one becomes readable, which its sigtimedwait(2) loop takes like SIGCHLD. While the
front runs, O_ASYNC is off (its connections are none of the supervisor's business); it is set
again, and the backlog checked, when the front has exited.

Nothing here when the front's configuration cannot be read: the front is then started at once,
as any service, and says what is wrong.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import socket
import struct
import threading

from dockyard.api import errors

log = logging.getLogger("supervisor")

F_SETOWN_EX = 15  # fcntl(2), <linux/fcntl.h>; Python's fcntl module does not name it
F_OWNER_TID = 0
OWNER = struct.Struct("ii")  # struct f_owner_ex: int type; pid_t pid


class Sockets:
    """The front's listening sockets, held by the supervisor."""

    def __init__(self, args: list[str]) -> None:
        self._args = args
        self._bound: list[tuple[str, socket.socket]] = []  # (unix path or "", socket)

    def listen(self) -> bool:
        """Bind the front's listeners (once) and watch them; False if they cannot be bound."""
        if not self._bound:
            # imported here: the supervisor takes its lock before its preload imports aiohttp
            from dockyard.api import bootstrap
            from dockyard.services.dockerapi import activation, server

            try:
                found = server.listeners(bootstrap.parse_args(server.NAME, self._args))
                for kind, where, _ in found:
                    path = where if kind == "unix" else ""
                    self._bound.append((path, activation.bind(kind, where)))
            except (errors.DockyardError, SystemExit) as err:  # a bad daemon.json exits argparse
                log.warning("the Docker API front is started at once: %s", err)
                self.close()
                return False
        self.watch(True)
        return True

    def watch(self, on: bool) -> None:
        """Have SIGIO sent to this thread on a connection (`on`), or not (the front serves
        them). To the thread, not the process (F_SETOWN_EX, F_OWNER_TID): a process-directed
        SIGIO goes to any thread that does not block it, and kills the process there (its
        default action) instead of reaching the loop that waits for it."""
        owner = OWNER.pack(F_OWNER_TID, threading.get_native_id())
        for _, sock in self._bound:
            flags = fcntl.fcntl(sock, fcntl.F_GETFL)
            if on:
                fcntl.fcntl(sock, F_SETOWN_EX, owner)
            fcntl.fcntl(sock, fcntl.F_SETFL, flags | os.O_ASYNC if on else flags & ~os.O_ASYNC)

    def pending(self) -> bool:
        """Whether a client waits on one of the sockets."""
        poller = select.poll()
        for _, sock in self._bound:
            poller.register(sock, select.POLLIN)
        return bool(self._bound) and bool(poller.poll(0))

    def fds(self) -> list[int]:
        return [sock.fileno() for _, sock in self._bound]

    def close(self) -> None:
        """Stop listening and remove the socket files."""
        for path, sock in self._bound:
            sock.close()
            if path:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        self._bound = []
