"""The engine's connections to the services behind it: images, snapshots, runtime, network.

One channel per service for the life of the engine, made inside the running loop. Calls wait
for a service that is restarting (`wait_for_ready`) but never forever: every call carries a
deadline (`CALL_SECONDS`, or `LONG_SECONDS` for work that streams or waits by nature).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

import grpc
from dockyard.api.bootstrap import dial_service
from dockyard.api.paths import Paths
from dockyard.images.v1 import images_pb2_grpc
from dockyard.network.v1 import network_pb2_grpc
from dockyard.runtime.v1 import runtime_pb2_grpc
from dockyard.snapshots.v1 import snapshots_pb2_grpc

CALL_SECONDS = 60.0
LONG_SECONDS = 24 * 3600.0
READY = {"timeout": CALL_SECONDS, "wait_for_ready": True}
"""Keyword arguments for an ordinary unary call to a sibling service."""


@dataclass
class Backends:
    images: images_pb2_grpc.ImagesStub
    snapshots: snapshots_pb2_grpc.SnapshotsStub
    runtime: runtime_pb2_grpc.TasksStub
    network: network_pb2_grpc.NetworksStub
    channels: dict[str, grpc.aio.Channel]


async def connect(paths: Paths, stack: AsyncExitStack) -> Backends:
    """Open a channel to every sibling service; `stack` closes them."""
    channels = {
        name: dial_service(paths, name) for name in ("images", "snapshots", "runtime", "network")
    }
    for channel in channels.values():
        stack.push_async_callback(channel.close)
    return Backends(
        images=images_pb2_grpc.ImagesStub(channels["images"]),
        snapshots=snapshots_pb2_grpc.SnapshotsStub(channels["snapshots"]),
        runtime=runtime_pb2_grpc.TasksStub(channels["runtime"]),
        network=network_pb2_grpc.NetworksStub(channels["network"]),
        channels=channels,
    )
