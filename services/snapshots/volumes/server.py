"""The volumes service's gRPC adapter (dockyard.volumes.v1.Volumes): convert, call, convert.

Record changes run one at a time (one lock) in worker threads; a container's files are reached
through `Transfers`, which runs each piece of work in a view thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.services.snapshots.volumes.archive import PathStat
from dockyard.services.snapshots.volumes.local import Mount
from dockyard.services.snapshots.volumes.mounts import COPY_UP, VolumeMounts
from dockyard.services.snapshots.volumes.store import Volume, VolumeStore
from dockyard.services.snapshots.volumes.transfer import Transfers
from dockyard.services.snapshots.volumes.untar import ExtractOptions
from dockyard.services.snapshots.volumes.views import Filesystem
from dockyard.types.v1 import types_pb2
from dockyard.volumes.v1 import volumes_pb2 as pb
from dockyard.volumes.v1 import volumes_pb2_grpc
from google.protobuf import empty_pb2

Context = Any


class VolumesServicer(volumes_pb2_grpc.VolumesServicer):
    def __init__(self, store: VolumeStore, transfers: Transfers, mounts: VolumeMounts) -> None:
        self._store = store
        self._transfers = transfers
        self._mounts = mounts
        self._lock = asyncio.Lock()

    async def Create(self, request: pb.CreateVolumeRequest, context: Context) -> pb.Volume:
        async with self._lock:
            volume = await asyncio.to_thread(
                self._store.create,
                request.name,
                request.driver,
                dict(request.options),
                dict(request.labels),
            )
        return _volume(volume, self._mounts.current(volume))

    async def Get(self, request: pb.GetVolumeRequest, context: Context) -> pb.Volume:
        volume = self._store.get(request.name)
        return _volume(volume, self._mounts.current(volume))

    async def List(
        self, request: pb.ListVolumesRequest, context: Context
    ) -> pb.ListVolumesResponse:
        return pb.ListVolumesResponse(volumes=[_volume(v) for v in self._store.list()])

    async def Remove(self, request: pb.RemoveVolumeRequest, context: Context) -> empty_pb2.Empty:
        async with self._lock:
            self._mounts.check_unused(self._store.get(request.name).name)
            await asyncio.to_thread(self._store.remove, request.name)
        return empty_pb2.Empty()

    async def Mount(self, request: pb.MountVolumeRequest, context: Context) -> types_pb2.Mount:
        if not request.container_id:
            raise InvalidArgument("a volume is mounted for a container")
        async with self._lock:
            volume = self._store.get(request.name)
            mount = await asyncio.to_thread(self._mounts.acquire, volume, request.container_id)
        return _mount(mount)

    async def Unmount(self, request: pb.UnmountVolumesRequest, context: Context) -> empty_pb2.Empty:
        async with self._lock:
            await asyncio.to_thread(self._mounts.release, request.container_id)
        return empty_pb2.Empty()

    async def Retain(self, request: pb.RetainVolumesRequest, context: Context) -> empty_pb2.Empty:
        async with self._lock:
            await asyncio.to_thread(self._mounts.retain, list(request.container_ids))
        return empty_pb2.Empty()

    async def Usage(self, request: pb.UsageRequest, context: Context) -> pb.UsageResponse:
        names = list(request.names) or [v.name for v in self._store.list()]
        sizes = await asyncio.to_thread(lambda: {n: self._store.usage(n) for n in names})
        return pb.UsageResponse(sizes=sizes)

    async def Populate(self, request: pb.PopulateRequest, context: Context) -> pb.PopulateResponse:
        fs = _filesystem(request.container)
        volume = self._store.get(request.volume)
        async with self._held_for_copy(volume, f"{fs.container_id}{COPY_UP}"):
            copied = await self._transfers.populate(volume.name, fs, _absolute(request.path))
        return pb.PopulateResponse(copied=copied)

    @contextlib.asynccontextmanager
    async def _held_for_copy(self, volume: Volume, holder: str) -> AsyncIterator[None]:
        """A volume with options has its device mounted while the image's files are copied in
        and let go after, as dockerd's copy-up mounts and unmounts it: a tmpfs no container
        holds is unmounted again with the copy (so it shows nothing, as under dockerd), one a
        running container holds keeps it, and a bind or disk device keeps it for good."""
        if not volume.options:
            yield
            return
        async with self._lock:
            await asyncio.to_thread(self._mounts.acquire, volume, holder)
        try:
            yield
        finally:
            async with self._lock:
                await asyncio.to_thread(self._mounts.release, holder)

    async def StatPath(self, request: pb.PathRequest, context: Context) -> pb.PathStat:
        return _stat(await self._transfers.stat(_filesystem(request.container), request.path))

    async def GetArchive(
        self, request: pb.PathRequest, context: Context
    ) -> AsyncIterator[pb.ArchiveOutput]:
        fs = _filesystem(request.container)
        async for item in self._transfers.archive(fs, request.path):
            if isinstance(item, PathStat):
                yield pb.ArchiveOutput(stat=_stat(item))
            else:
                yield pb.ArchiveOutput(data=item)

    async def PutArchive(
        self, request_iterator: AsyncIterator[pb.PutArchiveInput], context: Context
    ) -> empty_pb2.Empty:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("options"):
            raise InvalidArgument("the first archive message must carry the options")
        options = first.options
        fs = _filesystem(options.target.container)
        extract = ExtractOptions(
            copy_uid_gid=options.copy_uid_gid,
            no_overwrite_dir_non_dir=options.no_overwrite_dir_non_dir,
            read_only_rootfs=fs.read_only,
            mounts=tuple((target, "ro" in m.options) for m, target in fs.mounts),
        )
        await self._transfers.extract(fs, options.target.path, extract, _data(request_iterator))
        return empty_pb2.Empty()


async def _data(requests: AsyncIterator[pb.PutArchiveInput]) -> AsyncIterator[bytes]:
    async for item in requests:
        if item.HasField("data"):
            yield item.data


def _absolute(path: str) -> str:
    if not path.startswith("/"):
        raise InvalidArgument(f"invalid mount path: '{path}' mount path must be absolute")
    return path


def _filesystem(message: pb.ContainerFilesystem) -> Filesystem:
    if not message.container_id or not (message.snapshot or message.pid):
        raise InvalidArgument("a container filesystem needs the container and its layer")
    mounts = [
        (Mount(m.type, m.source, tuple(m.options)), _absolute(m.target)) for m in message.mounts
    ]
    return Filesystem(
        message.container_id,
        message.snapshot,
        message.pid,
        mounts,
        message.read_only,
        message.name,
    )


def _mount(mount: Mount) -> types_pb2.Mount:
    return types_pb2.Mount(type=mount.type, source=mount.source, options=list(mount.options))


def _volume(volume: Volume, mount: Mount | None = None) -> pb.Volume:
    message = pb.Volume(
        name=volume.name,
        driver=volume.driver,
        mountpoint=volume.mountpoint,
        labels=volume.labels,
        options=volume.options,
        mount=_mount(mount or volume.mount),
    )
    message.created.FromDatetime(volume.created)
    return message


def _stat(stat: PathStat) -> pb.PathStat:
    message = pb.PathStat(
        name=stat.name, size=stat.size, mode=stat.mode, link_target=stat.link_target
    )
    message.mtime.FromDatetime(stat.mtime)
    return message
