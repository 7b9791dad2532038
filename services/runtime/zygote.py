"""The runtime's shim zygote (`shim/zygote.py`): forked before gRPC starts, exec'd after.

The runtime is forked from the supervisor, which preloaded the interpreter, asyncio, gRPC,
protobuf and our modules and froze its garbage collector (`services/supervisor/forking.py`).
`prefork`, called by the runtime's `main` before anything of gRPC exists in the process (no
server, no channel, no thread: grpc's doc/fork_support.md), forks the zygote from there, so
that the zygote — and every shim it forks — shares those pages copy-on-write instead of
holding its own interpreter (an exec'd zygote holds ~12.5 MiB of its own). The child closes
every fd but its listening socket, rewrites its command line to what an exec'd zygote's is
(`ps`, the tests and `_kill_shim` recognise zygote and shims by it), imports the shim's modules
and serves; it never returns into the runtime's code.

Once gRPC runs, forking is unsafe, so a zygote that has to be started again (it was killed, or
stopped answering) is exec'd as before (`python -m dockyard.shim.zygote --socket PATH`). A
forked zygote is the runtime's child but not asyncio's: `Forked` reaps it through a pidfd on
the running loop and offers what the runtime uses of an `asyncio.subprocess.Process`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from dockyard.api.paths import Paths
from dockyard.services.supervisor import forking

MODULE = "dockyard.shim.zygote"


def socket_path(paths: Paths) -> Path:
    return paths.run("runtime") / "zygote.sock"


def argv(path: Path) -> list[str]:
    """An exec'd zygote's command line; a forked one shows the same."""
    return [sys.executable, "-m", MODULE, "--socket", str(path)]


def prefork(paths: Paths) -> int | None:
    """Fork the zygote, listening on `socket_path(paths)`; its pid, or None when it cannot be
    forked (another runtime holds this state dir, or our command line has no room for its)."""
    path = socket_path(paths)
    if not forking.fits(argv(path)) or _runtime_running(paths):
        return None
    from dockyard.shim.__main__ import _listen

    listener = _listen(path)
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _become(listener, parent, argv(path))
    listener.close()
    return pid


def _become(listener: socket.socket, parent: int, zygote_argv: list[str]) -> NoReturn:
    """In the forked child: be the zygote until the runtime dies; never return."""
    code = 1
    try:
        os.closerange(3, listener.fileno())
        os.closerange(listener.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
        forking.show(zygote_argv)
        sys.argv = [MODULE, *zygote_argv[3:]]
        from dockyard.shim import zygote

        zygote.serve(listener, parent)
        code = 0
    except BaseException:  # noqa: BLE001 - reported, and never back into the runtime's code
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stderr.flush()
        os._exit(code)


def _runtime_running(paths: Paths) -> bool:
    """Whether a runtime holds this state dir's lock (ours takes it only later, in bootstrap):
    a zygote forked then would take over that runtime's socket."""
    lock = paths.state / "runtime.lock"
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class Forked:
    """A zygote this process forked: its exit is learnt from a pidfd on the running loop."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.Event()
        self._pidfd = os.pidfd_open(pid)
        asyncio.get_running_loop().add_reader(self._pidfd, self._reap)

    def _reap(self) -> None:
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return
        self.returncode = os.waitstatus_to_exitcode(status)
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._exited.set()

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        if self.returncode is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode
