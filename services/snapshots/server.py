"""The snapshots service's gRPC adapter (dockyard.snapshots.v1.Snapshots).

Work that touches many files (apply, usage, remove) runs in worker threads; the snapshotter's
own state is guarded by one lock, so requests see it change one operation at a time. A removed
snapshot's files are deleted after the reply (`Trash`); work that adds to the disk (prepare,
view, commit, apply) waits for that first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dockyard.api.errors import InvalidArgument
from dockyard.services.snapshots.metastore import Record
from dockyard.services.snapshots.server_diff import DiffRPCs
from dockyard.services.snapshots.server_export import ExportRPCs
from dockyard.services.snapshots.snapshotter import Mount, OverlaySnapshotter
from dockyard.services.snapshots.trash import Trash
from dockyard.snapshots.v1 import snapshots_pb2 as pb
from dockyard.snapshots.v1 import snapshots_pb2_grpc
from dockyard.types.v1 import types_pb2
from google.protobuf import empty_pb2

Context = Any
T = TypeVar("T")
_KINDS = {
    "view": pb.SNAPSHOT_KIND_VIEW,
    "active": pb.SNAPSHOT_KIND_ACTIVE,
    "committed": pb.SNAPSHOT_KIND_COMMITTED,
}


class SnapshotsServicer(DiffRPCs, ExportRPCs, snapshots_pb2_grpc.SnapshotsServicer):
    def __init__(self, snapshotter: OverlaySnapshotter) -> None:
        self._s = snapshotter
        self._lock = asyncio.Lock()
        self.trash = Trash()

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            return await asyncio.to_thread(call, *args)

    async def _add(self, call: Callable[..., T], *args: Any) -> T:
        """`_run` for work that takes space: once the removed snapshots' files are deleted."""
        await self.trash.emptied()
        return await self._run(call, *args)

    async def Prepare(
        self, request: pb.PrepareSnapshotRequest, context: Context
    ) -> pb.MountsResponse:
        return _mounts(
            await self._add(self._s.prepare, request.key, request.parent, dict(request.labels))
        )

    async def View(self, request: pb.PrepareSnapshotRequest, context: Context) -> pb.MountsResponse:
        return _mounts(
            await self._add(self._s.view, request.key, request.parent, dict(request.labels))
        )

    async def Mounts(self, request: pb.MountsRequest, context: Context) -> pb.MountsResponse:
        return _mounts(self._s.mounts(request.key))

    async def Commit(self, request: pb.CommitSnapshotRequest, context: Context) -> empty_pb2.Empty:
        await self._add(self._s.commit, request.name, request.key, dict(request.labels))
        return empty_pb2.Empty()

    async def Remove(self, request: pb.RemoveSnapshotRequest, context: Context) -> empty_pb2.Empty:
        # Shielded: a caller gone while the rename runs in its thread (which ends all the same)
        # must not leave the renamed directory undeleted until the next start.
        await asyncio.shield(self._remove(request.key))
        return empty_pb2.Empty()

    async def _remove(self, key: str) -> None:
        """A container's layer (active, or a view) is deleted after the reply; an image's
        (committed) before it, as docker's rmi does: `rmi` and `image prune` report the space
        they freed, and a pull that follows them must not wait for their deletion."""
        committed = self._s.stat(key).kind == "committed"
        self.trash.put(await self._run(self._s.discard, key))
        if committed:
            await self.trash.emptied()

    async def Stat(self, request: pb.StatSnapshotRequest, context: Context) -> pb.SnapshotInfo:
        return _info(self._s.stat(request.key))

    async def List(
        self, request: pb.ListSnapshotsRequest, context: Context
    ) -> pb.ListSnapshotsResponse:
        wanted = _filters(list(request.filters))
        found = [r for r in self._s.list() if all(getattr(r, k) == v for k, v in wanted.items())]
        return pb.ListSnapshotsResponse(snapshots=[_info(r) for r in found])

    async def Usage(self, request: pb.UsageRequest, context: Context) -> pb.UsageResponse:
        size, inodes = await asyncio.to_thread(self._s.usage, request.key, request.content)
        return pb.UsageResponse(size=size, inodes=inodes)

    async def Apply(self, request: pb.ApplyLayerRequest, context: Context) -> pb.ApplyLayerResponse:
        # Applies run outside the lock: each writes only into its own active snapshot.
        await self.trash.emptied()
        applied = await asyncio.to_thread(
            self._s.apply, request.key, Path(request.path), request.media_type, request.diff_id
        )
        return pb.ApplyLayerResponse(diff_id=applied.diff_id, size=applied.size)


def _mounts(mounts: list[Mount]) -> pb.MountsResponse:
    return pb.MountsResponse(
        mounts=[
            types_pb2.Mount(type=m.type, source=m.source, options=list(m.options)) for m in mounts
        ]
    )


def _info(record: Record) -> pb.SnapshotInfo:
    info = pb.SnapshotInfo(
        name=record.key, parent=record.parent, kind=_KINDS[record.kind], labels=record.labels
    )
    info.created.FromDatetime(record.created)
    info.updated.FromDatetime(record.updated)
    return info


def _filters(items: list[str]) -> dict[str, str]:
    wanted = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in ("kind", "parent"):
            raise InvalidArgument(f"invalid filter '{item}'")
        wanted[key] = value
    return wanted
