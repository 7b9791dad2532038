"""The command server's spare child: gRPC started and the engine dialled before a command comes.

A child forked for a command spends ~10 ms of its ~20 starting gRPC (its core, event engine and
poller: ~7 ms at the first channel) and connecting to the engine (~3 ms), because the server
itself may start nothing of gRPC before it forks (grpc's doc/fork_support.md). So the server
keeps one child forked ahead: it starts gRPC, dials the engine and waits until the channel is
connected (or gives up on that after WARM_SECONDS: the engine is not up yet), then says
`ready` over its socketpair with the server. When no command has come for REHEARSE_AFTER,
it rehearses a `version` to /dev/null when the engine answered (`rehearse`: the pages a
command's first run copies from the server's are copied now, not while a command waits) and
dials again; a command handed meanwhile waits for the end of that (~6-9 ms), still sooner than
a child forked for it would be ready. A script's next command, which comes sooner, is not made
to wait for a rehearsal it would gain less from (it copies those pages itself, ~4 ms for a
`ps`): `rm` right after `create` took 25-29 ms when the rehearsal came at once, 19 ms with it
delayed, 15-17 ms after a pause. The next command is handed to it over
that pair (the client's socket and fds 0-2, with the command's message) instead of forking, and
it becomes that command (`forked.become`) with the loop and the channel it made
(`engine.Warm`): a channel that went down meanwhile (an engine restart) is dropped and the
command dials afresh. The server then forks the next spare.

It never runs anything of a command before one is handed to it, and it takes everything of the
command's process (environment, working directory, umask, signals, fds 0-2) from the message,
as a child forked for the command would. gRPC reads a few environment variables (GRPC_*) once,
when it starts: a spare's come from the server's environment, not the command's. It exits when
the server goes (end of file on its socketpair).

Wire format (server → spare): one frame as launcher.py's (`send_frame`), the command's message,
with four fds: the client's socket, then its fds 0, 1, 2. Spare → server: b"r" once ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from dockyard.cli import engine, forked, launcher

WARM_SECONDS = 0.5
REHEARSE_AFTER = 0.1  # seconds without a command before a rehearsal (a script's come sooner)
NAME = "dockyard-spare"  # comm(5) is 15 characters at most: this is 14
READY = b"r"
FDS = 4  # the client's socket, its fds 0-2


class Handed:
    """The command's client, as `forked.become` takes it."""

    def __init__(self, fds: list[int]) -> None:
        self.sock = socket.socket(fileno=fds[0])
        self.fds = fds[1:]


def serve(pair: socket.socket, address: str, close_inherited: Callable[[], None]) -> NoReturn:
    """In the freshly forked spare: warm up, say ready, become the command handed over."""
    try:
        close_inherited()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        engine.WARM = warm(address)
        pair.sendall(READY)
        name = _rename(NAME)  # `ps -o comm` tells a ready spare (its word to the server is sent)
        if engine.WARM.channel is not None and not _handed_within(pair, REHEARSE_AFTER):
            rehearse(address)  # a command handed meanwhile waits for it: ~6-9 ms at most
            engine.WARM = warm(address)
        message, fds = _handed(pair)
        pair.close()
        _rename(name)
    except BaseException:  # noqa: BLE001 - a spare must never return into the server
        os._exit(1)
    if message is None:
        os._exit(0)  # the server went away
    forked.become(message, Handed(fds), lambda: None)


def warm(address: str) -> engine.Warm:
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from dockyard.cli import client

    loop = asyncio.new_event_loop()

    async def connected() -> Any:
        channel = client.dial(address)
        try:
            await asyncio.wait_for(channel.channel_ready(), WARM_SECONDS)
        except Exception:  # noqa: BLE001 - not up (yet): the command dials itself
            await channel.close()
            return None
        return channel

    dialled = engine.socket_identity(address)  # before the dial: a later engine is another
    return engine.Warm(loop, loop.run_until_complete(connected()), address, dialled)


def rehearse(address: str) -> None:
    """Run `dockyard version` against the engine once, its output dropped.

    A child forked from the server first runs its code on pages it shares with the server:
    each object it touches (a reference count, the interpreter's specialising of a function's
    bytecode) copies a page, ~900 of them for a `ps`, ~4 ms. A rehearsal takes most of those
    copies here, before a command waits on them: click's dispatch, the call through gRPC,
    the engine's reply, the output. `version` changes nothing. What the rehearsal left in
    the CLI's module state (the host, the timings) is reset; the command brings its own fds,
    environment and argv, and a fresh warm channel (this one was closed)."""
    from dockyard.cli import main, state, timings

    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    launcher.reopen_stdio({})
    os.environ.pop("DOCKYARD_TIMINGS", None)
    sys.argv = ["dockyard", "-H", address, "version"]
    with contextlib.suppress(SystemExit):
        main.main()
    sys.stdout.flush()
    state.STATE.host = state.DEFAULT_HOST
    timings.forget()


def _rename(name: str) -> str:
    """Set our thread's name (/proc/self/comm, proc(5)); the name it had."""
    with open("/proc/self/comm", "r+") as comm:
        old = comm.read().strip()
        comm.seek(0)
        comm.write(name)
    return old


def _handed_within(pair: socket.socket, seconds: float) -> bool:
    readable, _, _ = select.select([pair], [], [], seconds)
    return bool(readable)


def _handed(pair: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    buffer = bytearray()
    fds: list[int] = []
    while True:
        data, more, _, _ = socket.recv_fds(pair, 65536, FDS)
        fds += more
        if not data:
            for fd in fds:
                os.close(fd)
            return None, []
        buffer += data
        frames = launcher.split_frames(buffer)
        if frames:
            return frames[0], fds
