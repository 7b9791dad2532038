"""`SnapshotClient` over the snapshots service's gRPC stub."""

from __future__ import annotations

import grpc
from dockyard.services.engine.clients.proxy.deadlines import READY
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.convert import from_proto
from dockyard.snapshots.v1 import snapshots_pb2 as pb
from dockyard.snapshots.v1 import snapshots_pb2_grpc


class SnapshotProxy:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = snapshots_pb2_grpc.SnapshotsStub(channel)

    async def prepare(self, key: str, parent: str) -> list[Mount]:
        reply = await self._stub.Prepare(pb.PrepareSnapshotRequest(key=key, parent=parent), **READY)
        return [from_proto(Mount, m) for m in reply.mounts]

    async def mounts(self, key: str) -> list[Mount]:
        reply = await self._stub.Mounts(pb.MountsRequest(key=key), **READY)
        return [from_proto(Mount, m) for m in reply.mounts]

    async def remove(self, key: str) -> None:
        await self._stub.Remove(pb.RemoveSnapshotRequest(key=key), **READY)
