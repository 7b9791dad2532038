"""`VolumeClient` over the volumes service's gRPC stub (on the snapshots process's socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from dockyard.services.engine.clients.proxy.deadlines import LONG, READY
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.clients.volumes import (
    ContainerFilesystem,
    PathStat,
    PutOptions,
    Volume,
    VolumeSpec,
)
from dockyard.services.engine.convert import from_proto, to_proto
from dockyard.volumes.v1 import volumes_pb2 as pb
from dockyard.volumes.v1 import volumes_pb2_grpc


class VolumeProxy:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = volumes_pb2_grpc.VolumesStub(channel)

    async def create(self, spec: VolumeSpec) -> Volume:
        request = to_proto(spec, pb.CreateVolumeRequest())
        return from_proto(Volume, await self._stub.Create(request, **READY))

    async def get(self, name: str) -> Volume:
        return from_proto(Volume, await self._stub.Get(pb.GetVolumeRequest(name=name), **READY))

    async def list_volumes(self) -> list[Volume]:
        reply = await self._stub.List(pb.ListVolumesRequest(), **READY)
        return [from_proto(Volume, v) for v in reply.volumes]

    async def remove(self, name: str) -> None:
        await self._stub.Remove(pb.RemoveVolumeRequest(name=name), **READY)

    async def usage(self, names: list[str]) -> dict[str, int]:
        reply = await self._stub.Usage(pb.UsageRequest(names=names), **LONG)
        return dict(reply.sizes)

    async def mount(self, name: str, container_id: str) -> Mount:
        request = pb.MountVolumeRequest(name=name, container_id=container_id)
        return from_proto(Mount, await self._stub.Mount(request, **READY))

    async def unmount(self, container_id: str) -> None:
        request = pb.UnmountVolumesRequest(container_id=container_id)
        await self._stub.Unmount(request, **READY)

    async def retain(self, container_ids: list[str]) -> None:
        await self._stub.Retain(pb.RetainVolumesRequest(container_ids=container_ids), **READY)

    async def populate(self, volume: str, container: ContainerFilesystem, path: str) -> bool:
        request = pb.PopulateRequest(volume=volume, container=_fs(container), path=path)
        return bool((await self._stub.Populate(request, **LONG)).copied)

    async def stat_path(self, container: ContainerFilesystem, path: str) -> PathStat:
        request = pb.PathRequest(container=_fs(container), path=path)
        return from_proto(PathStat, await self._stub.StatPath(request, **READY))

    async def get_archive(
        self, container: ContainerFilesystem, path: str
    ) -> AsyncIterator[PathStat | bytes]:
        request = pb.PathRequest(container=_fs(container), path=path)
        async for item in self._stub.GetArchive(request, **LONG):
            if item.HasField("stat"):
                yield from_proto(PathStat, item.stat)
            else:
                yield item.data

    async def put_archive(
        self,
        container: ContainerFilesystem,
        path: str,
        options: PutOptions,
        chunks: AsyncIterator[bytes],
    ) -> None:
        target = pb.PathRequest(container=_fs(container), path=path)
        first = to_proto(options, pb.PutArchiveOptions(target=target))

        async def inputs() -> AsyncIterator[pb.PutArchiveInput]:
            yield pb.PutArchiveInput(options=first)
            async for chunk in chunks:
                yield pb.PutArchiveInput(data=chunk)

        await self._stub.PutArchive(inputs(), **LONG)


def _fs(container: ContainerFilesystem) -> pb.ContainerFilesystem:
    return to_proto(container, pb.ContainerFilesystem())
