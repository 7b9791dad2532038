"""The async side of a container's files: stat, archive and extract streamed through a pipe to
a view's thread, and the filling of an empty volume from an image.

    archive   the view thread writes the tar into a pipe; the loop reads it in chunks
    extract   the loop writes the chunks into a pipe; the view thread reads the tar from it

Each pipe gives back-pressure both ways, and its end is closed on any exit: a caller that goes
away breaks the pipe, which ends the thread's work. A stopped container's layer is mounted by
one view at a time (two overlay mounts over one upper directory are undefined behaviour).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from typing import TypeVar

from dockyard.services.snapshots.volumes import archive, copyup, untar
from dockyard.services.snapshots.volumes.archive import PathStat
from dockyard.services.snapshots.volumes.store import VolumeStore
from dockyard.services.snapshots.volumes.untar import ExtractOptions
from dockyard.services.snapshots.volumes.views import Filesystem, Views

T = TypeVar("T")
CHUNK = 1 << 20


class Transfers:
    def __init__(self, views: Views, store: VolumeStore) -> None:
        self._views = views
        self._store = store
        self._layers: dict[str, asyncio.Lock] = {}  # per stopped container's snapshot
        self._volumes: dict[str, asyncio.Lock] = {}  # per volume being filled

    async def stat(self, fs: Filesystem, path: str) -> PathStat:
        async with self._layer(fs):
            return await self._run(fs, lambda: archive.stat_path(path, fs.label))

    async def archive(self, fs: Filesystem, path: str) -> AsyncIterator[PathStat | bytes]:
        """The stat of `path`, then the tar's bytes."""
        async with self._layer(fs):
            read, write = os.pipe2(os.O_CLOEXEC)
            stat: Future[PathStat] = Future()

            def work() -> None:
                with open(write, "wb", buffering=CHUNK) as out:
                    try:
                        stat.set_result(archive.stat_path(path, fs.label))
                    except BaseException as err:
                        stat.set_exception(err)
                        raise
                    archive.archive(path, out, fs.label)

            done = await self._start(fs, work, write)
            async with _reader(read) as reader:
                found: PathStat = await asyncio.wrap_future(stat)
                yield found
                while chunk := await reader.read(CHUNK):
                    yield chunk
            await asyncio.wrap_future(done)

    async def extract(
        self, fs: Filesystem, path: str, options: ExtractOptions, chunks: AsyncIterator[bytes]
    ) -> None:
        async with self._layer(fs):
            read, write = os.pipe2(os.O_CLOEXEC)

            def work() -> None:
                with open(read, "rb", buffering=CHUNK) as stream:
                    untar.extract(path, stream, options, fs.label)
                    while stream.read(CHUNK):  # what follows the tar's end: drained, not broken
                        pass

            done = await self._start(fs, work, read)
            await _feed(write, chunks)
            await asyncio.wrap_future(done)

    async def populate(self, volume: str, fs: Filesystem, path: str) -> bool:
        """Fill the empty volume from what the container's image has at `path`. A volume with
        driver options (a tmpfs, a device, a bind of another directory) is filled on its device,
        which the caller holds mounted on the data directory meanwhile (mounts.py)."""
        lock = self._volumes.setdefault(volume, asyncio.Lock())
        async with lock, self._layer(fs):
            found = self._store.get(volume)
            data = self._store.data_dir(found.name)
            top = os.open(data, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                if os.listdir(top):
                    return False
                return await self._run(fs, lambda: copyup.copy_tree(path, top))
            finally:
                os.close(top)

    async def _run(self, fs: Filesystem, work: Callable[[], T]) -> T:
        future = await asyncio.to_thread(self._views.start, fs, work)
        return await asyncio.wrap_future(future)

    async def _start(
        self, fs: Filesystem, work: Callable[[], None], thread_end: int
    ) -> Future[None]:
        """Start `work` in a view; `thread_end` (its pipe end) is closed if it cannot start."""
        try:
            return await asyncio.to_thread(self._views.start, fs, work)
        except BaseException:
            os.close(thread_end)
            raise

    @contextlib.asynccontextmanager
    async def _layer(self, fs: Filesystem) -> AsyncIterator[None]:
        if fs.pid:  # a running container is entered, its layer already mounted (once)
            yield
            return
        async with self._layers.setdefault(fs.snapshot, asyncio.Lock()):
            yield


@contextlib.asynccontextmanager
async def _reader(fd: int) -> AsyncIterator[asyncio.StreamReader]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CHUNK)
    pipe = os.fdopen(fd, "rb", buffering=0)  # the transport closes it
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    try:
        yield reader
    finally:
        transport.close()


async def _feed(fd: int, chunks: AsyncIterator[bytes]) -> None:
    """Write every chunk into the pipe `fd`, then close it (the reader's EOF); stop early
    when the reading thread has ended (its error, if any, is the one to report)."""
    loop = asyncio.get_running_loop()
    pipe = os.fdopen(fd, "wb", buffering=0)  # the transport closes it
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    try:
        async for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
    except (BrokenPipeError, ConnectionResetError):
        return
    finally:
        transport.close()
