"""A step's snapshot made into a layer: its changes diffed into a gzip tar, the tar written to
the content store, the snapshot committed under the new chain ID — or dropped when nothing
changed (the step then adds history only, as BuildKit does).

The layer blob and the chain join the build cache's lease, so removing the images that use
them leaves them to the cache. A chain already committed (the same layer built before) is
kept and ours dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from dockyard.api import errors
from dockyard.services.engine.build.cache import LEASE
from dockyard.services.engine.build.imagestate import LAYER_GZIP, Layer, chain_id
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.snapshots import DiffChunk


async def commit_layer(
    clients: Clients, key: str, parent: list[str], stubs: list[str]
) -> Layer | None:
    """Make the active snapshot `key` (over the layers `parent`, diff IDs) a layer; None when
    it changed nothing. The snapshot is committed or removed either way."""
    try:
        last: list[DiffChunk] = []
        blob = await clients.images.write_blob(
            LAYER_GZIP, _data(clients.snapshots.diff(key, stubs, True), last), LEASE
        )
        done = last[0]
        if done.entries == 0:
            await clients.snapshots.remove(key)
            return None
        chain = chain_id([*parent, done.diff_id])
        try:
            await clients.snapshots.commit(chain, key)
        except errors.AlreadyExists:
            await clients.snapshots.remove(key)
    except BaseException:
        with contextlib.suppress(errors.DockyardError):
            await clients.snapshots.remove(key)
        raise
    await clients.images.lease(LEASE, [blob.digest], [chain])
    return Layer(done.diff_id, blob.digest, blob.size, LAYER_GZIP, done.size)


async def _data(chunks: AsyncIterator[DiffChunk], last: list[DiffChunk]) -> AsyncIterator[bytes]:
    """The tar's bytes; the final chunk (its diff ID, size, entries) into `last`."""
    async for chunk in chunks:
        if chunk.diff_id:
            last.append(chunk)
        elif chunk.data:
            yield chunk.data
    if not last:
        raise errors.Internal("the snapshot diff ended without its diff ID")
