"""`docker export`: a container's filesystem (its image's layers under its own) as a tar.

The snapshots service reads the layer directories and writes the merged view (nothing is
mounted), for a running container as for a stopped one; volumes and bind mounts are not part
of it, as in docker's export.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dockyard.services.engine.clients.snapshots import SnapshotClient
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.store import ContainerStore


class Exporter:
    def __init__(self, store: ContainerStore, snapshots: SnapshotClient, events: EventBus) -> None:
        self._store = store
        self._snapshots = snapshots
        self._events = events

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        container = self._store.get(ref)
        async for piece in self._snapshots.export(container.id):
            yield piece
        self._events.publish("container", "export", container.id, name=container.name)
