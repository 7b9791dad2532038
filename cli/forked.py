"""A command server's child becoming one `dockyard` command, as if its client had run it.

After the fork it drops everything of the server (its sockets, signal handlers, logging),
takes the client's fds 0-2, working directory, umask, environment, ignored signals and argv,
rebuilds sys.stdin/stdout/stderr as Python's start-up would for that environment, runs the
typer CLI, and exits the way the interpreter would have: SystemExit's code (a non-integer is
printed and gives 1), an uncaught exception's traceback and 1, an uncaught KeyboardInterrupt
by SIGINT itself, 120 when stdout cannot be flushed. It tells the client its pid (with a pidfd)
once it runs and its exit code at the end; the server reaps it and tells the client too.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import sys
import time
import types
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

from dockyard.cli import timings
from dockyard.cli.launcher import reopen_stdio, send_frame, text


class Client(Protocol):
    sock: socket.socket
    fds: list[int]


def become(
    message: dict[str, Any], client: Client, close_inherited: Callable[[], None]
) -> NoReturn:
    try:
        close_inherited()
        client.sock.setblocking(True)
        _take_process_state(message, client.fds)
        _announce(client.sock)
    except BaseException as err:  # noqa: BLE001 - a child must never return into the server
        os.write(2, f"dockyard: the command server could not start the command: {err}\n".encode())
        os._exit(125)  # nothing ran: the client runs the command in-process
    code = _run()
    _let_go_of_stdio()
    with contextlib.suppress(OSError):  # the client is gone
        send_frame(client.sock, {"exit": code})
    os._exit(code)


def _let_go_of_stdio() -> None:
    """Point fds 0-2 at /dev/null once the command's output is flushed: a reader of it through
    a pipe (`$(dockyard ps)`, a script) sees its end now, with our exit word, instead of after
    this process's teardown (2-4 ms more)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _announce(sock: socket.socket) -> None:
    """Our pid, and a pidfd of ourselves: the client signals us through it (pidfd_open(2))."""
    pidfd = os.pidfd_open(os.getpid())
    try:
        send_frame(sock, {"pid": os.getpid()}, [pidfd])
    finally:
        os.close(pidfd)


def _take_process_state(message: dict[str, Any], fds: list[int]) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in message.get("ignored", []):
        signal.signal(signum, signal.SIG_IGN)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)  # dup2 leaves the copy inheritable, as fds 0-2 are
        os.close(fd)
    os.chdir(message["cwd"])
    os.umask(int(message["umask"]))
    os.environ.clear()
    os.environ.update({text(k): text(v) for k, v in message["env"].items()})  # C client: bytes
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    reopen_stdio(os.environ)
    sys.argv = [text(arg) for arg in message["argv"]]
    timings.started(float(message.get("started", time.time())))
    # a script's __main__: click names the program by it ("dockyard", not "python -m …")
    sys.modules["__main__"] = types.ModuleType("__main__")


def _run() -> int:
    from dockyard.cli.main import main

    code = 0
    try:
        main()
    except SystemExit as exit:
        code = _exit_code(exit.code)
    except KeyboardInterrupt:
        _finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:  # noqa: BLE001 - the interpreter's own behaviour: traceback, 1
        sys.excepthook(*sys.exc_info())
        code = 1
    return _finish() or code


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _finish() -> int:
    """atexit handlers, then flush; 120 if stdout cannot be flushed (as the interpreter)."""
    atexit._run_exitfuncs()
    status = 0
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or (120 if stream is sys.stdout else 0)
    return status
