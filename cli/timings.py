"""`dockyard run --timings`, and DOCKYARD_TIMINGS=1 for any command: the CLI's side.

The CLI records, on the one clock every process of the host shares (see dockyard.api.timings):

    cli.start   from its process's start (the launcher client's first line) to the command's
                first call to the engine: interpreter, imports, or the command server's fork
    cli.call    the command's session with the engine: dial, every call, close
    cli.total   from the process's start to this report

and asks the engine for its own phases (request metadata `dockyard-timings: 1`); the calls that
read them back (run's stream, for now) add them, named by the process that measured them
(`engine.*`, `runtime.*`, `shim.*`). The table goes to stderr when the command ends.

The state is read from the environment when first used, not at import: the command server
imports this module long before a command's environment is known.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from dockyard.api.timings import ASKED, HEADER, Timings, decode, render

_recorder: Timings | None = None
_checked = False
_process_start_ns = 0


def started(seconds: float) -> None:
    """When this command's process started (time.time() at the launcher's first line)."""
    global _process_start_ns
    _process_start_ns = int(seconds * 1e9)


def forget() -> None:
    """Back to "not yet read from the environment" (a spare's rehearsal ran a command)."""
    global _recorder, _checked, _process_start_ns
    _recorder, _checked, _process_start_ns = None, False, 0


def enable() -> None:
    global _recorder, _checked
    _checked = True
    if _recorder is None:
        _recorder = Timings()
        atexit.register(report)


def recorder() -> Timings | None:
    global _checked
    if not _checked:
        _checked = True
        if os.environ.get("DOCKYARD_TIMINGS", "") not in ("", "0"):
            enable()
    return _recorder


def reached_engine() -> None:
    """The command is about to call the engine: the end of `cli.start` (recorded once)."""
    timings = recorder()
    if timings is not None and not any(p.name == "cli.start" for p in timings.phases):
        origin = _origin()
        timings.add("cli.start", origin, time.time_ns() - origin)


def phase(name: str) -> AbstractContextManager[None]:
    timings = recorder()
    return nullcontext() if timings is None else timings.phase(name)


def request_metadata() -> tuple[tuple[str, str], ...]:
    return ((HEADER, ASKED),) if recorder() is not None else ()


async def collect(call: Any) -> None:
    """Add the phases the engine sent back in `call`'s trailing metadata."""
    timings = recorder()
    if timings is None:
        return
    for key, value in await call.trailing_metadata() or ():
        if key == HEADER:
            try:
                timings.extend(decode(value))
            except ValueError:
                sys.stderr.write("dockyard: the engine sent timings this CLI cannot read\n")


def report() -> None:
    timings = recorder()
    if timings is None:
        return
    origin = _origin()
    timings.add("cli.total", origin, time.time_ns() - origin)
    sys.stderr.write(render(timings.phases, origin))
    sys.stderr.flush()


def _origin() -> int:
    global _process_start_ns
    if not _process_start_ns:
        _process_start_ns = time.time_ns()
    return _process_start_ns
