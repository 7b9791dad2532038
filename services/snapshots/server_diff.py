"""The snapshots service's Diff and Changes RPCs (part of `SnapshotsServicer`).

A diff walks and reads a whole layer, so it runs in a worker thread that writes the (gzip)
tar into a bounded queue the RPC drains: the bytes stream out as they are made, and a slow
client holds the thread back rather than filling memory. The client going away ends the
thread at its next write.
"""

from __future__ import annotations

import asyncio
import gzip
import queue
import threading
from collections.abc import AsyncIterator
from typing import Any

from dockyard.services.snapshots.diff import Differ, Written
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter
from dockyard.snapshots.v1 import snapshots_pb2 as pb

Context = Any
CHUNK = 1 << 20
QUEUED_CHUNKS = 8
GZIP_LEVEL = 3  # docker's default is 6; 3 compresses within a few per cent, twice as fast


class Gone(Exception):
    """The reader went away: the writer stops."""


class _ChunkWriter:
    """A file the tar writer writes into; full chunks go to the queue."""

    def __init__(self, chunks: queue.Queue[bytes | Written | BaseException | None]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self.closed_by_reader = threading.Event()

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._put(bytes(self._buffer[:CHUNK]))
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._put(bytes(self._buffer))
            self._buffer.clear()

    def _put(self, item: bytes) -> None:
        while True:
            if self.closed_by_reader.is_set():
                raise Gone()
            try:
                self._chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


class DiffRPCs:
    """Mixed into the servicer: `self._s` is the snapshotter."""

    _s: OverlaySnapshotter

    async def Diff(self, request: pb.DiffRequest, context: Context) -> AsyncIterator[pb.DiffChunk]:
        upper, lowers = self._s.layer_dirs(request.key)
        differ = Differ.of(upper, lowers, request.mount_stubs)
        chunks: queue.Queue[bytes | Written | BaseException | None] = queue.Queue(QUEUED_CHUNKS)
        sink = _ChunkWriter(chunks)

        def work() -> None:
            try:
                if request.remove_stubs:
                    differ.remove_stubs()
                chunks.put(_write(differ, sink, request.gzip))
            except Gone:
                return
            except BaseException as err:  # noqa: BLE001 - handed to the RPC's side
                chunks.put(err)

        thread = threading.Thread(target=work, name=f"diff-{request.key[:24]}", daemon=True)
        thread.start()
        try:
            while True:
                item = await asyncio.to_thread(chunks.get)
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, Written):
                    yield pb.DiffChunk(diff_id=item.diff_id, size=item.size, entries=item.entries)
                    return
                yield pb.DiffChunk(data=item)
        finally:
            sink.closed_by_reader.set()
            while not chunks.empty():  # let a blocked writer see the flag
                chunks.get_nowait()

    async def Changes(self, request: pb.ChangesRequest, context: Context) -> pb.ChangesResponse:
        upper, lowers = self._s.layer_dirs(request.key)
        differ = Differ.of(upper, lowers, request.mount_stubs)
        changes = await asyncio.to_thread(differ.changes)
        return pb.ChangesResponse(changes=[pb.Change(kind=c.kind, path=c.path) for c in changes])


def _write(differ: Differ, sink: _ChunkWriter, compress: bool) -> Written:
    if not compress:
        written = differ.write_tar(sink)
    else:
        with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as out:
            written = differ.write_tar(out)
    sink.flush()
    return written
