"""A container's sizes, as docker's `ps -s`, `inspect -s` and `system df` show them.

SizeRw is what the container wrote: the bytes of its own snapshot (the writable layer the
snapshots service measures); SizeRootFs adds its image's size. Measuring walks the
container's files, so it is done only when asked for, never for a plain `ps`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.api import errors
from dockyard.services.engine.clients.images import ImageClient
from dockyard.services.engine.clients.snapshots import SnapshotClient
from dockyard.services.engine.model import Container

AT_ONCE = 4  # containers measured at the same time (each walk is a thread of the snapshots')


@dataclass(frozen=True)
class Size:
    rw: int  # SizeRw
    root_fs: int  # SizeRootFs


class Sizes:
    def __init__(self, snapshots: SnapshotClient, images: ImageClient) -> None:
        self._snapshots = snapshots
        self._images = images

    async def measure(self, containers: Sequence[Container]) -> dict[str, Size]:
        """Each container's size by its ID; the image of several is looked up once."""
        image_ids = sorted({c.image for c in containers})
        image_sizes = dict(
            zip(image_ids, await asyncio.gather(*map(self._image_size, image_ids)), strict=True)
        )
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(c: Container) -> Size:
            async with gate:
                rw = await self._rw(c.id)
            return Size(rw, rw + image_sizes[c.image])

        sizes = await asyncio.gather(*(one(c) for c in containers))
        return {c.id: size for c, size in zip(containers, sizes, strict=True)}

    async def _rw(self, container_id: str) -> int:
        try:
            return await self._snapshots.usage(container_id, content=True)
        except errors.NotFound:  # removed meanwhile, or never given a layer
            return 0

    async def _image_size(self, image_id: str) -> int:
        try:
            return (await self._images.get(image_id)).size
        except errors.NotFound:
            return 0
