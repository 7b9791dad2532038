"""`SnapshotClient` over the snapshots service's gRPC stub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from dockyard.api.errors import NotFound
from dockyard.services.engine.clients.proxy.deadlines import LONG, READY
from dockyard.services.engine.clients.snapshots import Change, DiffChunk, Mount
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

    async def view(self, key: str, parent: str) -> list[Mount]:
        reply = await self._stub.View(pb.PrepareSnapshotRequest(key=key, parent=parent), **READY)
        return [from_proto(Mount, m) for m in reply.mounts]

    async def commit(self, name: str, key: str) -> None:
        await self._stub.Commit(pb.CommitSnapshotRequest(name=name, key=key), **READY)

    async def exists(self, name: str) -> bool:
        try:
            info = await self._stub.Stat(pb.StatSnapshotRequest(key=name), **READY)
        except NotFound:
            return False
        return bool(info.kind == pb.SNAPSHOT_KIND_COMMITTED)

    async def active_keys(self) -> list[str]:
        keys = []
        for kind in ("active", "view"):
            reply = await self._stub.List(
                pb.ListSnapshotsRequest(filters=[f"kind={kind}"]), **READY
            )
            keys += [info.name for info in reply.snapshots]
        return keys

    async def diff(
        self, key: str, stubs: list[str], remove_stubs: bool
    ) -> AsyncIterator[DiffChunk]:
        request = pb.DiffRequest(key=key, mount_stubs=stubs, remove_stubs=remove_stubs, gzip=True)
        async for chunk in self._stub.Diff(request, **LONG):
            yield DiffChunk(chunk.data, chunk.diff_id, chunk.size, chunk.entries)

    async def export(self, key: str) -> AsyncIterator[bytes]:
        async for chunk in self._stub.Export(pb.ExportRequest(key=key), **LONG):
            yield chunk.data

    async def usage(self, key: str, content: bool = False) -> int:
        reply = await self._stub.Usage(pb.UsageRequest(key=key, content=content), **LONG)
        return int(reply.size)

    async def changes(self, key: str, stubs: list[str]) -> list[Change]:
        request = pb.ChangesRequest(key=key, mount_stubs=stubs)
        reply = await self._stub.Changes(request, **LONG)
        return [Change(c.kind, c.path) for c in reply.changes]
