"""`python -m dockyard.shim.zygote --socket PATH`: starts shims by fork, not by exec.

A fresh interpreter per shim costs ~150 ms and ~8 MiB of private memory (Python, protobuf and the
shim's modules). This process imports them once; each shim is forked from it, so the imported
pages stay shared copy-on-write between all shims. A request is one line of JSON
({"id", "bundle", "socket"}); the zygote forks a launcher that does what `dockyard-shim start`
does (bind the socket, fork the server into its own session, write shim.pid, exit), reaps it, and
answers "ok" or the error. The server, orphaned, is adopted by the supervisor, exactly as when
exec'd. The runtime starts the zygote; it dies with the runtime (PR_SET_PDEATHSIG), and the
runtime falls back to exec whenever it cannot reach one.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import socket
from pathlib import Path

# Everything a shim imports, imported here once (the container init's modules too).
from dockyard.shim import __main__ as launcher
from dockyard.shim import init, oci, server  # noqa: F401 - preloaded for the children

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dockyard-shim-zygote")
    parser.add_argument("--socket", required=True, type=Path)
    args = parser.parse_args(argv)
    from dockyard.shim.syscalls import Linux

    Linux().prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    Linux().prctl(PR_SET_DUMPABLE, 0)  # and so is every shim forked from us
    if os.getppid() == 1:
        return  # the runtime is already gone
    listener = launcher._listen(args.socket)
    gc.collect()
    gc.freeze()  # what is imported now stays in shared pages (the collector never writes them)
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                request = json.loads(conn.makefile("r").readline())
                _start(
                    (listener, conn),
                    request["id"],
                    Path(request["bundle"]),
                    Path(request["socket"]),
                )
                conn.sendall(b"ok\n")
            except Exception as err:  # noqa: BLE001 - reported to the runtime, which falls back
                with contextlib.suppress(OSError):
                    conn.sendall(f"{type(err).__name__}: {err}\n".encode())


def _start(ours: tuple[socket.socket, ...], task_id: str, bundle: Path, sock: Path) -> None:
    pid = os.fork()
    if pid == 0:  # the launcher: as `dockyard-shim start`
        try:
            for held in ours:  # the zygote's sockets are not the shim's
                held.close()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            from dockyard.shim.syscalls import Linux

            Linux().prctl(PR_SET_PDEATHSIG, 0)
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
