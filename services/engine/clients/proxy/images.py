"""`ImageClient` over the images service's gRPC stub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from dockyard.images.v1 import images_pb2 as pb
from dockyard.images.v1 import images_pb2_grpc
from dockyard.services.engine.clients.images import (
    Descriptor,
    Image,
    ImportHeader,
    NewImage,
    Platform,
    PullProgress,
    RegistryAuth,
    Removal,
)
from dockyard.services.engine.clients.proxy.deadlines import LONG, READY
from dockyard.services.engine.convert import from_proto, to_proto
from dockyard.types.v1 import types_pb2


class ImageProxy:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = images_pb2_grpc.ImagesStub(channel)

    async def get(self, ref: str) -> Image:
        return from_proto(Image, await self._stub.Get(pb.GetImageRequest(ref=ref), **READY))

    async def list_images(self, filters: list[str], all: bool = False) -> list[Image]:
        reply = await self._stub.List(pb.ListImagesRequest(filters=filters, all=all), **READY)
        return [from_proto(Image, i) for i in reply.images]

    async def pull(
        self, ref: str, auth: RegistryAuth, platform: Platform | None, all_tags: bool = False
    ) -> AsyncIterator[PullProgress]:
        request = pb.PullRequest(ref=ref, auth=to_proto(auth, pb.RegistryAuth()), all_tags=all_tags)
        if platform is not None:
            request.platform.CopyFrom(to_proto(platform, types_pb2.Platform()))
        async for progress in self._stub.Pull(request, **LONG):
            yield from_proto(PullProgress, progress)

    async def import_image(self, header: ImportHeader, chunks: AsyncIterator[bytes]) -> Image:
        async def requests() -> AsyncIterator[pb.ImportRequest]:
            yield pb.ImportRequest(header=to_proto(header, pb.ImportHeader()))
            async for chunk in chunks:
                yield pb.ImportRequest(chunk=chunk)

        return from_proto(Image, await self._stub.Import(requests(), **LONG))

    async def unpack(self, ref: str) -> None:
        async for _ in self._stub.Unpack(pb.UnpackRequest(ref=ref), **LONG):
            pass  # progress: nobody watches an unpack the engine makes by itself

    async def save(self, refs: list[str]) -> AsyncIterator[bytes]:
        async for piece in self._stub.Save(pb.SaveRequest(refs=refs), **LONG):
            yield piece.data

    async def load(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[PullProgress]:
        async def requests() -> AsyncIterator[pb.LoadRequest]:
            async for chunk in chunks:
                yield pb.LoadRequest(chunk=chunk)

        async for progress in self._stub.Load(requests(), **LONG):
            yield from_proto(PullProgress, progress)

    async def login(self, server: str, auth: RegistryAuth) -> str:
        request = pb.LoginRequest(server=server, auth=to_proto(auth, pb.RegistryAuth()))
        return str((await self._stub.Login(request, **READY)).status)

    async def push(self, ref: str, auth: RegistryAuth) -> AsyncIterator[PullProgress]:
        request = pb.PushRequest(ref=ref, auth=to_proto(auth, pb.RegistryAuth()))
        async for progress in self._stub.Push(request, **LONG):
            yield from_proto(PullProgress, progress)

    async def tag(self, source: str, target: str) -> Image:
        request = pb.TagImageRequest(source=source, target=target)
        return from_proto(Image, await self._stub.Tag(request, **READY))

    async def remove(
        self,
        ref: str,
        force: bool,
        in_use: list[str] | None = None,
        prune: bool = True,
        untag_only: bool = False,
    ) -> Removal:
        request = pb.RemoveImageRequest(
            ref=ref, force=force, in_use=in_use or [], no_prune=not prune, untag_only=untag_only
        )
        reply = await self._stub.Remove(request, **READY)
        return from_proto(Removal, reply)

    async def read_blob(self, digest: str) -> bytes:
        parts = [
            c.data async for c in self._stub.ReadBlob(pb.ReadBlobRequest(digest=digest), **READY)
        ]
        return b"".join(parts)

    async def write_blob(
        self, media_type: str, chunks: AsyncIterator[bytes], lease: str = ""
    ) -> Descriptor:
        async def requests() -> AsyncIterator[pb.WriteBlobRequest]:
            yield pb.WriteBlobRequest(header=pb.WriteBlobHeader(media_type=media_type, lease=lease))
            async for chunk in chunks:
                yield pb.WriteBlobRequest(chunk=chunk)

        written = await self._stub.WriteBlob(requests(), **LONG)
        return Descriptor(written.media_type, written.digest, written.size)

    async def create_image(self, image: NewImage) -> Image:
        request = pb.CreateImageRequest(
            config=image.config,
            layers=[
                types_pb2.Descriptor(media_type=d.media_type, digest=d.digest, size=d.size)
                for d in image.layers
            ],
            names=image.names,
            sizes=image.sizes,
            parent=image.parent,
        )
        return from_proto(Image, await self._stub.Create(request, **LONG))

    async def lease(self, lease: str, digests: list[str], chains: list[str]) -> None:
        request = pb.LeaseRequest(lease=lease, digests=digests, chains=chains)
        await self._stub.Lease(request, **READY)

    async def release_lease(self, lease: str) -> None:
        await self._stub.ReleaseLease(pb.ReleaseLeaseRequest(lease=lease), **READY)
