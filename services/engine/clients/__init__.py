"""The engine's typed clients of the services behind it — containerd's `proxy` pattern.

Each service the engine orchestrates is seen through one small Protocol in domain types
(dataclasses, never proto messages):

    ImageClient     images.py      dockyard-images: records, pull, import, tag, remove
    SnapshotClient  snapshots.py   dockyard-snapshots: a container's writable layer
    TaskClient      tasks.py       dockyard-runtime: tasks, their stdio, exec, stats
    NetworkClient   networks.py    dockyard-network: sandboxes, networks, endpoints
    VolumeClient    volumes.py     dockyard-snapshots' volumes: volumes, a container's files

Each has one gRPC implementation over the service's stub (`proxy/`, where proto messages are
converted) and one in-memory fake (`fakes/`) that unit tests drive, failures included. A new
service (volumes, builder) gets its Protocol here, its proxy and its fake, and a field in
`Clients`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dockyard.services.engine.clients.images import ImageClient
from dockyard.services.engine.clients.networks import NetworkClient
from dockyard.services.engine.clients.snapshots import SnapshotClient
from dockyard.services.engine.clients.tasks import TaskClient
from dockyard.services.engine.clients.volumes import VolumeClient


class Health(Protocol):
    async def check(self) -> dict[str, str]:
        """Each service's name → "ok", or "unavailable" when it does not answer."""
        ...


@dataclass(frozen=True)
class Clients:
    """Everything the engine reaches beyond its own process."""

    images: ImageClient
    snapshots: SnapshotClient
    tasks: TaskClient
    network: NetworkClient
    volumes: VolumeClient
    health: Health
