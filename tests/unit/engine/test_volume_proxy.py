"""`VolumeProxy` over a real gRPC boundary: every field of a volume, a container's files and a
path's stat survives the trip into domain types and back; the archive streams keep their order;
errors come back as the classes the service raised."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from dockyard.api import bootstrap, errors
from dockyard.api.status import ErrorInterceptor
from dockyard.services.engine.clients.proxy.volumes import VolumeProxy
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
from google.protobuf import empty_pb2
from google.protobuf.message import Message

from .test_proxies import filled

Context = Any


class FakeService(volumes_pb2_grpc.VolumesServicer):
    def __init__(self) -> None:
        self.volume = filled(pb.Volume())
        self.stat = filled(pb.PathStat())
        self.requests: list[Message] = []

    async def Create(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return self.volume

    async def Get(self, request: Any, context: Context) -> Message:
        if request.name == "missing":
            raise errors.NotFound("get missing: no such volume")
        return self.volume

    async def List(self, request: Message, context: Context) -> Message:
        return pb.ListVolumesResponse(volumes=[self.volume, self.volume])

    async def Usage(self, request: Any, context: Context) -> Message:
        return pb.UsageResponse(sizes={n: 7 for n in request.names})

    async def Populate(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return pb.PopulateResponse(copied=True)

    async def StatPath(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return self.stat

    async def GetArchive(self, request: Message, context: Context) -> AsyncIterator[Message]:
        yield pb.ArchiveOutput(stat=self.stat)
        yield pb.ArchiveOutput(data=b"one")
        yield pb.ArchiveOutput(data=b"two")

    async def PutArchive(self, requests: AsyncIterator[Message], context: Context) -> Message:
        self.requests.extend([r async for r in requests])
        return empty_pb2.Empty()


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[FakeService, VolumeProxy]]:
    server = grpc.aio.server(interceptors=[ErrorInterceptor("fake")])
    fake = FakeService()
    volumes_pb2_grpc.add_VolumesServicer_to_server(fake, server)
    address = f"unix://{tmp_path}/fake.sock"
    server.add_insecure_port(address)
    await server.start()
    channel = bootstrap.dial(address, "fake")
    yield fake, VolumeProxy(channel)
    await channel.close()
    await server.stop(None)


async def test_volumes_pass_through_whole(service: tuple[FakeService, VolumeProxy]) -> None:
    fake, proxy = service
    spec = from_proto(VolumeSpec, filled(pb.CreateVolumeRequest()))
    volume = await proxy.create(spec)
    assert fake.requests[-1] == filled(pb.CreateVolumeRequest())
    assert to_proto(volume, pb.Volume()) == fake.volume
    assert [to_proto(v, pb.Volume()) for v in await proxy.list_volumes()] == [fake.volume] * 2
    assert isinstance(await proxy.get("v"), Volume)
    with pytest.raises(errors.NotFound, match="get missing: no such volume"):
        await proxy.get("missing")
    assert await proxy.usage(["a", "b"]) == {"a": 7, "b": 7}


async def test_a_containers_files_pass_through_whole(
    service: tuple[FakeService, VolumeProxy],
) -> None:
    fake, proxy = service
    files = from_proto(ContainerFilesystem, filled(pb.ContainerFilesystem()))
    assert await proxy.populate("v", files, "/data")
    assert fake.requests[-1] == pb.PopulateRequest(
        volume="v", container=filled(pb.ContainerFilesystem()), path="/data"
    )
    found = await proxy.stat_path(files, "/etc")
    assert to_proto(found, pb.PathStat()) == fake.stat
    streamed = [item async for item in proxy.get_archive(files, "/etc")]
    assert isinstance(streamed[0], PathStat) and streamed[1:] == [b"one", b"two"]

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    await proxy.put_archive(files, "/tmp", PutOptions(True, True), chunks())
    first, *rest = fake.requests[-3:]
    assert first == pb.PutArchiveInput(
        options=pb.PutArchiveOptions(
            target=pb.PathRequest(container=filled(pb.ContainerFilesystem()), path="/tmp"),
            copy_uid_gid=True,
            no_overwrite_dir_non_dir=True,
        )
    )
    assert [r.data for r in rest] == [b"a", b"b"]  # type: ignore[attr-defined]
