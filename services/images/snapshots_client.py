"""The unpacker's `LayerStore`, implemented over the snapshots service's gRPC API."""

from __future__ import annotations

from pathlib import Path

import grpc
from dockyard.api.errors import NotFound
from dockyard.snapshots.v1 import snapshots_pb2 as pb
from dockyard.snapshots.v1 import snapshots_pb2_grpc

CALL = {"timeout": 60.0, "wait_for_ready": True}
APPLY_SECONDS = 3600.0


class SnapshotsLayerStore:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = snapshots_pb2_grpc.SnapshotsStub(channel)

    async def exists(self, name: str) -> bool:
        try:
            info = await self._stub.Stat(pb.StatSnapshotRequest(key=name), **CALL)
        except NotFound:
            return False
        return bool(info.kind == pb.SNAPSHOT_KIND_COMMITTED)

    async def prepare(self, key: str, parent: str) -> None:
        await self._stub.Prepare(pb.PrepareSnapshotRequest(key=key, parent=parent), **CALL)

    async def apply(self, key: str, blob: Path, media_type: str, diff_id: str) -> tuple[str, int]:
        request = pb.ApplyLayerRequest(
            key=key, path=str(blob), media_type=media_type, diff_id=diff_id
        )
        reply = await self._stub.Apply(request, timeout=APPLY_SECONDS, wait_for_ready=True)
        return reply.diff_id, reply.size

    async def commit(self, name: str, key: str) -> None:
        await self._stub.Commit(pb.CommitSnapshotRequest(name=name, key=key), **CALL)

    async def remove(self, key: str) -> None:
        await self._stub.Remove(pb.RemoveSnapshotRequest(key=key), **CALL)

    async def committed(self) -> list[tuple[str, str]]:
        request = pb.ListSnapshotsRequest(filters=["kind=committed"])
        reply = await self._stub.List(request, **CALL)
        return [(info.name, info.parent) for info in reply.snapshots]
