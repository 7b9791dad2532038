"""The snapshots service's Export RPC (part of `SnapshotsServicer`): a snapshot's whole
filesystem as a tar (`export.py`), written by a worker thread into a bounded queue the RPC
drains, as Diff's is (a slow client holds the thread back; a client gone ends it)."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator
from typing import Any

from dockyard.services.snapshots import export
from dockyard.services.snapshots.server_diff import QUEUED_CHUNKS, Gone, _ChunkWriter
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter
from dockyard.snapshots.v1 import snapshots_pb2 as pb

Context = Any
Item = bytes | BaseException | None


class ExportRPCs:
    """Mixed into the servicer: `self._s` is the snapshotter."""

    _s: OverlaySnapshotter

    async def Export(
        self, request: pb.ExportRequest, context: Context
    ) -> AsyncIterator[pb.DiffChunk]:
        layers = self._s.view_dirs(request.key)
        chunks: queue.Queue[Item] = queue.Queue(QUEUED_CHUNKS)
        sink = _ChunkWriter(chunks)  # type: ignore[arg-type]

        def work() -> None:
            try:
                export.write_tar(layers, sink)
                sink.flush()
                chunks.put(None)
            except Gone:
                return
            except BaseException as err:  # noqa: BLE001 - handed to the RPC's side
                chunks.put(err)

        threading.Thread(target=work, name=f"export-{request.key[:24]}", daemon=True).start()
        try:
            while (item := await asyncio.to_thread(chunks.get)) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield pb.DiffChunk(data=item)
        finally:
            sink.closed_by_reader.set()
            while not chunks.empty():  # let a blocked writer see the flag
                chunks.get_nowait()
