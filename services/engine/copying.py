"""`cp`: a container's files, running or not, as stat, tar out and tar in (docker's archive API).

The engine says what the container's files are made of (`Mounter.filesystem`: its running
init, or its layer, volumes and binds) and the volumes service does the work inside them. A
stopped container is held (its lock) while its files are reached, so it cannot start meanwhile:
its layer is mounted once, by either the shim or the copy. A running one is entered where it
is: its own mounts, tmpfs included, are what the copy sees.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from dockyard.services.engine.clients.volumes import (
    ContainerFilesystem,
    PathStat,
    PutOptions,
    VolumeClient,
)
from dockyard.services.engine.locks import Locks
from dockyard.services.engine.mounting import Mounter
from dockyard.services.engine.store import ContainerStore


class Copier:
    def __init__(
        self, store: ContainerStore, locks: Locks, mounter: Mounter, volumes: VolumeClient
    ) -> None:
        self._store = store
        self._locks = locks
        self._mounter = mounter
        self._volumes = volumes

    async def stat(self, ref: str, path: str) -> PathStat:
        async with self._files(ref) as files:
            return await self._volumes.stat_path(files, path)

    async def get_archive(self, ref: str, path: str) -> AsyncIterator[PathStat | bytes]:
        """The stat of `path`, then its tar in chunks."""
        async with self._files(ref) as files:
            async for item in self._volumes.get_archive(files, path):
                yield item

    async def put_archive(
        self, ref: str, path: str, options: PutOptions, chunks: AsyncIterator[bytes]
    ) -> None:
        async with self._files(ref) as files:
            await self._volumes.put_archive(files, path, options, chunks)

    @contextlib.asynccontextmanager
    async def _files(self, ref: str) -> AsyncIterator[ContainerFilesystem]:
        container = self._store.get(ref)
        async with contextlib.AsyncExitStack() as held:
            await held.enter_async_context(self._locks(container.id))
            container = self._store.get(container.id)
            files = await self._mounter.filesystem(container, ref)
            if files.pid:
                await held.aclose()  # a running one is entered, not assembled: nothing to hold
            yield files
