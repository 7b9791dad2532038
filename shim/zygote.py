"""`python -m dockyard.shim.zygote --socket PATH`: starts shims by fork, not by exec.

A fresh interpreter per shim costs ~150 ms and ~8 MiB of private memory (Python, protobuf and the
shim's modules). This process imports them once; each shim is forked from it, so the imported
pages stay shared copy-on-write between all shims. A request is one line of JSON
({"id", "bundle", "socket"}); the zygote forks a launcher that does what `dockyard-shim start`
does (bind the socket, fork the server into its own session, write shim.pid, exit), reaps it, and
answers "ok" or the error. The server, orphaned, is adopted by the supervisor, exactly as when
exec'd. The runtime forks the zygote before its gRPC starts, so that it shares the pages of the
supervisor's preload as well (`serve`; `dockyard/services/runtime/zygote.py`), and execs one
(`main`) when it must start another later; it dies with the runtime (PR_SET_PDEATHSIG), and
the runtime falls back to exec'ing shims whenever it cannot reach one.

One select loop serves every connection: a request is read as its bytes arrive, so a client
that sends half a line, or nothing, holds up no one; it is dropped after REQUEST_SECONDS, and
one that sends more than REQUEST_LIMIT bytes without a newline at once.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.api import syscalls as sc

# Everything a shim imports, imported here once (the container init's modules too).
from dockyard.shim import __main__ as launcher
from dockyard.shim import heap, init, oci, seccomp, server  # noqa: F401 - preloaded for the children

REQUEST_LIMIT = 64 * 1024
REQUEST_SECONDS = 10.0
REPLY_SECONDS = 5.0


def main(argv: list[str] | None = None) -> None:
    """Exec'd by the runtime (`--socket PATH`): listen there and serve until the runtime dies."""
    parser = argparse.ArgumentParser(prog="dockyard-shim-zygote")
    parser.add_argument("--socket", required=True, type=Path)
    args = parser.parse_args(argv)
    serve(launcher._listen(args.socket), parent=None)


def serve(listener: socket.socket, parent: int | None) -> None:
    """Serve shim starts on `listener` until our parent, the runtime, dies (`parent`: its pid
    when the runtime forked us; exec'd, we only know that init adopts an orphan).

    Forked from the runtime, this process already shares the interpreter and every module the
    supervisor preloaded; it imports the shim's own once (above) and freezes them too."""
    linux = sc.Linux()  # ctypes and libc: imported once, here
    with contextlib.suppress(OSError):
        seccomp.library()  # opened once, here (a host without it fails in the shim, clearly)
    linux.prctl(sc.PR_SET_PDEATHSIG, signal.SIGTERM)
    linux.prctl(sc.PR_SET_DUMPABLE, 0)  # and so is every shim forked from us
    runtime_gone = os.getppid() != parent if parent else os.getppid() == 1
    if runtime_gone:
        return
    zygote = Zygote(listener)
    gc.collect()
    gc.freeze()  # what is imported now stays in shared pages (the collector never writes them)
    heap.fill()  # and a shim's allocations take fresh pages, not the holes in shared ones
    zygote.serve()


@dataclass
class Pending:
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)


class Zygote:
    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.pending: dict[socket.socket, Pending] = {}
        listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ)

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select(timeout=1.0):
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                if conn is self.listener:
                    self._accept()
                else:
                    self._read(conn)
            now = time.monotonic()
            for conn in [c for c, p in self.pending.items() if p.deadline < now]:
                self._drop(conn)

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(False)
        self.pending[conn] = Pending(time.monotonic() + REQUEST_SECONDS)
        self.selector.register(conn, selectors.EVENT_READ)

    def _read(self, conn: socket.socket) -> None:
        pending = self.pending[conn]
        try:
            data = conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        pending.buffer += data
        line, newline, _ = pending.buffer.partition(b"\n")
        if newline:
            self._answer(conn, self._start_shim(bytes(line)))
        elif len(pending.buffer) > REQUEST_LIMIT:
            self._answer(conn, f"request longer than {REQUEST_LIMIT} bytes")

    def _start_shim(self, line: bytes) -> str:
        try:
            request = json.loads(line)
            task_id, bundle, sock = (request[k] for k in ("id", "bundle", "socket"))
            if not all(isinstance(v, str) and v for v in (task_id, bundle, sock)):
                raise ValueError("id, bundle and socket must be strings")
            _prepare(Path(bundle))
            _start(self.close_all, task_id, Path(bundle), Path(sock))
        except Exception as err:  # noqa: BLE001 - reported to the runtime, which falls back
            return f"{type(err).__name__}: {err}"
        return "ok"

    def _answer(self, conn: socket.socket, reply: str) -> None:
        conn.settimeout(REPLY_SECONDS)
        with contextlib.suppress(OSError):
            conn.sendall(reply.encode() + b"\n")
        self._drop(conn)

    def _drop(self, conn: socket.socket) -> None:
        self.selector.unregister(conn)
        del self.pending[conn]
        conn.close()

    def close_all(self) -> None:
        """In a launcher: the zygote's sockets are not the shim's."""
        for conn in self.pending:
            conn.close()
        self.listener.close()
        self.selector.close()


def _prepare(bundle: Path) -> None:
    """What every shim would do alike, done here once and inherited: the container's seccomp
    program (a profile seen before costs a lookup). A failure is the shim's to report."""
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        spec = json.loads((bundle / "config.json").read_text())
        profile = spec.get("linux", {}).get("seccomp")
        if profile:
            seccomp.program_of(profile)


def _start(forget: Callable[[], None], task_id: str, bundle: Path, sock: Path) -> None:
    pid = os.fork()
    if pid == 0:  # the launcher: as `dockyard-shim start`
        try:
            forget()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            sc.Linux().prctl(sc.PR_SET_PDEATHSIG, 0)
            listener = launcher._listen(sock)
            server_pid = os.fork()
            if server_pid:
                launcher._write_pid(bundle / "shim.pid", server_pid)
                os._exit(0)
            launcher._daemonize(bundle)
            try:
                server.serve(task_id, bundle, listener)
            finally:
                sock.unlink(missing_ok=True)
        except BaseException:  # noqa: BLE001 - a child never returns into the zygote's loop
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not (bundle / "shim.pid").exists():
        raise RuntimeError(f"the shim launcher for {task_id[:12]} failed")


if __name__ == "__main__":
    main()
