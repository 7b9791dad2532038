"""The images service's RPCs for images made here (part of `ImagesServicer`): WriteBlob,
ReadBlob, Create, Lease, ReleaseLease — converted to and from `authoring.py`'s calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.images.v1 import images_pb2 as pb
from dockyard.services.images.authoring import Authoring, BlobHeader
from dockyard.services.images.images import Images
from dockyard.services.images.imagestore import ImageRecord
from dockyard.services.images.schema import Descriptor
from dockyard.types.v1 import types_pb2
from google.protobuf import empty_pb2

Context = Any
CHUNK = 1 << 20


class AuthoringRPCs:
    """Mixed into the servicer, which provides `_images` and `image()`."""

    _images: Images
    image: Callable[[ImageRecord], pb.Image]

    @property
    def _authoring(self) -> Authoring:
        return Authoring(self._images)

    async def WriteBlob(
        self, request_iterator: AsyncIterator[pb.WriteBlobRequest], context: Context
    ) -> types_pb2.Descriptor:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("header"):
            raise InvalidArgument("the first WriteBlob message must be the header")
        header = BlobHeader(first.header.media_type, first.header.digest, first.header.lease)

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                yield message.chunk

        written = await self._authoring.write_blob(header, chunks())
        return types_pb2.Descriptor(
            media_type=written.media_type, digest=written.digest, size=written.size
        )

    async def ReadBlob(
        self, request: pb.ReadBlobRequest, context: Context
    ) -> AsyncIterator[pb.BlobChunk]:
        path = self._authoring.blob_path(request.digest)
        blob = await asyncio.to_thread(path.open, "rb")
        try:
            while data := await asyncio.to_thread(blob.read, CHUNK):
                yield pb.BlobChunk(data=data)
        finally:
            blob.close()

    async def Create(self, request: pb.CreateImageRequest, context: Context) -> pb.Image:
        layers = [Descriptor(d.media_type, d.digest, d.size) for d in request.layers]
        record = await self._authoring.create(
            request.config, layers, list(request.names), list(request.sizes), request.parent
        )
        return self.image(record)

    async def Lease(self, request: pb.LeaseRequest, context: Context) -> empty_pb2.Empty:
        leases = self._images.leases
        if leases is None:
            raise InvalidArgument("this images service keeps no leases")
        leases.add(request.lease, request.digests, request.chains)
        return empty_pb2.Empty()

    async def ReleaseLease(
        self, request: pb.ReleaseLeaseRequest, context: Context
    ) -> empty_pb2.Empty:
        if self._images.leases is not None:
            self._images.leases.release(request.lease)
        return empty_pb2.Empty()
