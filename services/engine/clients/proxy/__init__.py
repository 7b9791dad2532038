"""The gRPC implementations of the engine's clients, one per service, over its stub.

This is where proto messages are made and read (`convert.py` maps a domain dataclass to the
message with the same field names). One channel per service for the life of the engine, made
inside the running loop. Calls wait for a service that is restarting (`wait_for_ready`) but
never forever: every call carries a deadline (`CALL_SECONDS`, or `LONG_SECONDS` for work that
streams or waits by nature).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import grpc
from dockyard.api.bootstrap import dial_service
from dockyard.api.paths import Paths
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.proxy.images import ImageProxy
from dockyard.services.engine.clients.proxy.networks import NetworkProxy
from dockyard.services.engine.clients.proxy.snapshots import SnapshotProxy
from dockyard.services.engine.clients.proxy.tasks import TaskProxy
from dockyard.services.engine.clients.proxy.volumes import VolumeProxy

SERVICES = ("images", "snapshots", "runtime", "network")
PROBE_SECONDS = 2.0


class ChannelHealth:
    """Whether each service's channel connects (`dockyard info`)."""

    def __init__(self, channels: dict[str, grpc.aio.Channel]) -> None:
        self._channels = channels

    async def check(self) -> dict[str, str]:
        async def probe(name: str) -> tuple[str, str]:
            try:
                await asyncio.wait_for(self._channels[name].channel_ready(), PROBE_SECONDS)
                return name, "ok"
            except TimeoutError:
                return name, "unavailable"

        return dict(await asyncio.gather(*(probe(n) for n in self._channels)))


async def connect(paths: Paths, stack: AsyncExitStack) -> Clients:
    """A client of every sibling service; `stack` closes their channels."""
    channels = {name: dial_service(paths, name) for name in SERVICES}
    for channel in channels.values():
        stack.push_async_callback(channel.close)
    return Clients(
        images=ImageProxy(channels["images"]),
        snapshots=SnapshotProxy(channels["snapshots"]),
        tasks=TaskProxy(channels["runtime"]),
        network=NetworkProxy(channels["network"]),
        volumes=VolumeProxy(channels["snapshots"]),  # served beside the snapshotter
        health=ChannelHealth(channels),
    )
