"""Services forked from the supervisor's preloaded interpreter instead of started afresh.

Every service is a Python process importing much the same code (the interpreter's own modules,
asyncio, grpc, protobuf, the generated stubs, `dockyard.api`). Started each by exec, each holds
its own copy: ~20-30 MiB of private heap apiece. So the supervisor imports every service's
main module once (`Preload.load`; importing creates no gRPC object, no event loop, no thread and
opens no file, as the CLI's command server relies on too — grpc's doc/fork_support.md),
freezes the garbage collector's view of that heap (`gc.freeze()`: a collection in a child then
never writes to those pages) and forks each service from it: the pages stay shared copy-on-write
between the supervisor and all its services, and only what a service changes is its own.

A forked child (`become`) is what `python -m <module> --root R --state S …` would be: its
/proc/PID/cmdline shows exactly that (written over the supervisor's own argument area, which
holds it: `dockyard.api.instances` and `dockyard daemon status` recognise a service by it), its
stdin is /dev/null and its stdout and stderr its log file, the sockets passed to it (if any:
the Docker API front's, `activation.py`) are its fds 3, 4, … as sd_listen_fds(3) has them, with
LISTEN_FDS and LISTEN_PID set, every other fd of the supervisor is
closed (its lock above all: a service holding it would keep a new supervisor out), no signal
is blocked, the supervisor's logging handler is gone, and `runpy` runs the module as
`__main__`, as -m does. It never returns into the supervisor's code: it ends by `os._exit`
with the code the interpreter would have exited with.

Stale code is never forked: when a loaded module's file changed on disk since the preload (an
upgrade, a developer's edit; `dockyard.api.fingerprint`), or the supervisor's argument area
is too short for a service's command line (the supervisor was started with fewer arguments than
it passes on), `fork` says so and the supervisor starts that service by exec, as before.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import gc
import importlib
import logging
import os
import runpy
import signal
import sys
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from dockyard.api.fingerprint import Fingerprint

log = logging.getLogger("supervisor")

FIRST_PASSED_FD = 3  # sd_listen_fds(3): passed sockets are fds 3, 4, …


class Preload:
    """The services' modules, imported once in the supervisor, and what they were on disk."""

    def __init__(self) -> None:
        self.fingerprint: Fingerprint | None = None
        self.stale = ""  # why nothing is forked any more: the first file found changed

    def load(self, modules: Iterable[str], argv_room: int) -> None:
        """Import `modules` (best effort: one that fails is exec'd, and fails there, as today)
        and freeze the heap; nothing when `argv_room` bytes cannot hold a command line."""
        if argv_room <= 0:
            self.stale = "the supervisor's command line has no room for a service's"
            log.info("services are exec'd: %s", self.stale)
            return
        for module in modules:
            try:
                if hasattr(importlib.import_module(module), "__path__"):
                    importlib.import_module(f"{module}.__main__")  # what -m runs of a package
            except Exception as err:  # noqa: BLE001 - its exec'd start will say what is wrong
                log.warning("cannot preload %s: %s", module, err)
        gc.collect()
        gc.freeze()  # a child's collections now leave the preloaded objects' pages alone
        self.fingerprint = Fingerprint.of_loaded()
        log.info("preloaded %d modules for the services", len(sys.modules))

    def usable(self, argv: list[str]) -> bool:
        """Whether a child may be forked for `argv` (else: exec)."""
        if self.fingerprint is None:
            return False
        if not self.stale:
            changed = self.fingerprint.changed()
            if changed:
                self.stale = f"{changed} changed on disk"
                log.info("services are exec'd from now on: %s", self.stale)
        return not self.stale and fits(argv)


def become(
    argv: list[str],
    output: int,
    unblock: set[signal.Signals],
    preloaded: bool,
    passed: Sequence[int] = (),
) -> NoReturn:
    """In the forked child: run `argv` (`python -m MODULE ARGS…`) — from the preload, or by
    exec when not `preloaded`, with the `passed` fds — then exit, never returning into the
    supervisor's code."""
    code = 1
    try:
        _std_fds(output, passed)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, unblock)
        if not preloaded:
            os.execv(argv[0], argv)
        show(argv)
        logging.root.handlers.clear()  # the service's own logging.basicConfig takes effect
        code = _run_module(argv[2], argv[3:])
    except OSError:
        traceback.print_exc()
        code = 127
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def show(argv: list[str]) -> None:
    """Make /proc/self/cmdline read `argv` (NUL-separated, as after exec; padded with NULs)."""
    start, room = _argv_area()
    packed = _packed(argv)
    if len(packed) > room:
        raise ValueError(f"{len(packed)} bytes of command line do not fit in {room}")
    ctypes.memmove(start, packed.ljust(room, b"\0"), room)


def fits(argv: list[str]) -> bool:
    """Whether `show(argv)` can show `argv` as this process's command line."""
    return len(_packed(argv)) <= _argv_area()[1]


def room_for(argvs: Iterable[list[str]]) -> int:
    """The argument area's size if every one of `argvs` fits in it, else 0."""
    room = _argv_area()[1]
    return room if all(len(_packed(argv)) <= room for argv in argvs) else 0


def _argv_area() -> tuple[int, int]:
    """Where this process's argument strings are (proc(5): arg_start, arg_end) and their size."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    start, end = int(fields[45]), int(fields[46])  # fields 48 and 49, counted from pid as 1
    return start, end - start


def _packed(argv: list[str]) -> bytes:
    return b"".join(os.fsencode(arg) + b"\0" for arg in argv)


def _std_fds(output: int, passed: Sequence[int]) -> None:
    """stdin from /dev/null, stdout and stderr to `output`, `passed` as 3, 4, … (and said so in
    LISTEN_FDS and LISTEN_PID); every other fd closed."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    first_free = FIRST_PASSED_FD + len(passed)
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, first_free) for fd in passed]  # clear of 3, 4, …
    for index, fd in enumerate(moved):
        os.dup2(fd, FIRST_PASSED_FD + index)  # inheritable: kept by an exec
    os.closerange(first_free, os.sysconf("SC_OPEN_MAX"))
    if passed:
        os.environ["LISTEN_FDS"] = str(len(passed))
        os.environ["LISTEN_PID"] = str(os.getpid())


def _run_module(module: str, args: list[str]) -> int:
    """Run `module` as `python -m module args…` would; the exit code the interpreter gives."""
    sys.argv = [module, *args]  # runpy puts the module's file in argv[0], as -m does
    package = hasattr(sys.modules.get(module), "__path__")
    sys.modules.pop(f"{module}.__main__" if package else module, None)  # run afresh as __main__
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        return _exit_code(exit.code)
    except BaseException:  # noqa: BLE001 - reported as the interpreter reports it
        traceback.print_exc()
        return 1
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
