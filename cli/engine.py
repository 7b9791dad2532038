"""Running a command against the engine: an event loop, a channel, stubs, one-line errors."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, NoReturn, TypeVar

from dockyard.cli import client
from dockyard.cli.state import STATE

T = TypeVar("T")


class Warm:
    """What a command server's spare made before its command came (spare.py): an event loop
    and, when the engine answered, a channel to it connected in that loop. Used once.

    `socket` is the engine socket's identity when the spare dialled (`socket_identity`): an
    engine restarted since binds a new socket at the same path, and a channel to the old one
    may still say READY when the command comes (its end is not always noticed by then)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, channel: Any, address: str, socket: object = None
    ) -> None:
        self.loop: asyncio.AbstractEventLoop | None = loop
        self.channel = channel
        self.address = address
        self.socket = socket

    def take_loop(self) -> asyncio.AbstractEventLoop | None:
        loop, self.loop = self.loop, None
        return loop

    async def take_channel(self, address: str) -> Any:
        """The channel, if it goes where the command's `-H` says and is still connected
        (else it is closed, and None: the command dials afresh)."""
        import grpc

        channel, self.channel = self.channel, None
        if channel is None:
            return None
        if (
            _socket_path(address) != _socket_path(self.address)
            or socket_identity(address) != self.socket
            or channel.get_state() != grpc.ChannelConnectivity.READY
        ):
            await channel.close()
            return None
        return channel


WARM: Warm | None = None


class Stubs:
    """The engine's services on one channel."""

    def __init__(self, channel: Any) -> None:
        from dockyard.engine.v1 import engine_pb2_grpc as rpc

        self.channel = channel
        self.containers = rpc.ContainersStub(channel)
        self.images = rpc.ImagesStub(channel)
        self.system = rpc.SystemStub(channel)
        self.networks = rpc.NetworksStub(channel)
        self.volumes = rpc.VolumesStub(channel)
        self.builds = rpc.BuildsStub(channel)


def call(verb: str, work: Callable[[Stubs], Awaitable[T]]) -> T:
    """Run `work` with stubs to the engine; a Dockyard error becomes one line and an exit code."""
    from dockyard.api.errors import DockyardError
    from dockyard.cli import timings

    async def session() -> T:
        from dockyard.api.timings import made_current

        channel = (await WARM.take_channel(STATE.host) if WARM else None) or client.dial(STATE.host)
        try:
            with made_current(timings.recorder()):  # unary calls bring the engine's phases
                return await work(Stubs(channel))
        finally:
            await channel.close()

    timings.reached_engine()
    loop = WARM.take_loop() if WARM else None
    with timings.phase("cli.call"):
        try:
            # asyncio.run's own runner: the loop is closed at the end, its tasks cancelled
            with (
                asyncio.Runner(loop_factory=(lambda: loop) if loop else None) as runner,
                _woken_by_signals(runner.get_loop()),
            ):
                return runner.run(session())
        except DockyardError as err:
            client.fail(err, verb, STATE.host)


@contextlib.contextmanager
def _woken_by_signals(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Wake `loop` on every signal. A signal taken by one of gRPC's threads runs its Python
    handler (asyncio.Runner's for SIGINT: cancel the command) only once the main thread runs
    bytecode, and the main thread sleeps in the loop's epoll until something happens there: the
    byte `signal.set_wakeup_fd` writes is that something. Without it, Ctrl-C now and then did
    nothing to a command waiting on a stream (`events`, `logs -f`)."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    loop.add_reader(reader.fileno(), _drain, reader)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        if not loop.is_closed():
            loop.remove_reader(reader.fileno())
        reader.close()
        writer.close()


def _drain(reader: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while reader.recv(4096):
            pass


def error_line(err: Exception, verb: str = "", name: str = "") -> str:
    return client.message(err, STATE.host, verb, name)


def die(text: str, code: int = 1) -> NoReturn:
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.exit(code)


def socket_identity(address: str) -> object:
    """Which socket file `address` names now (device, inode, change time); None if none."""
    try:
        info = os.stat(_socket_path(address))
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino, info.st_ctime_ns)


def _socket_path(address: str) -> str:
    path = address.removeprefix("unix://")
    return os.path.realpath(path) if path.startswith("/") else path
