"""Running a command against the engine: an event loop, a channel, stubs, one-line errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

from dockyard.cli import client
from dockyard.cli.state import STATE

T = TypeVar("T")


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

        channel = client.dial(STATE.host)
        try:
            with made_current(timings.recorder()):  # unary calls bring the engine's phases
                return await work(Stubs(channel))
        finally:
            await channel.close()

    timings.reached_engine()
    with timings.phase("cli.call"):
        try:
            return asyncio.run(session())
        except DockyardError as err:
            client.fail(err, verb, STATE.host)


def error_line(err: Exception, verb: str = "", name: str = "") -> str:
    return client.message(err, STATE.host, verb, name)


def die(text: str, code: int = 1) -> NoReturn:
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.exit(code)
