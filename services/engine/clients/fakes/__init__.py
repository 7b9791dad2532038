"""In-memory fakes of the engine's clients, for unit tests of the orchestration without root.

Each fake keeps the state its service would (images, snapshots, tasks, sandboxes, networks,
volumes) in plain dicts, raises the same error classes in the same cases, records every call in
order, and can be told to fail: `faults.fail("tasks.create", errors.Internal("boom"))` makes the next
`create` of the task fake raise. `fake_clients()` makes one of each over one shared `Faults`.
"""

from __future__ import annotations

from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.fakes.images import FakeImages
from dockyard.services.engine.clients.fakes.networks import FakeNetwork
from dockyard.services.engine.clients.fakes.snapshots import FakeSnapshots
from dockyard.services.engine.clients.fakes.tasks import FakeTasks
from dockyard.services.engine.clients.fakes.volumes import FakeVolumes

__all__ = [
    "FakeHealth",
    "FakeImages",
    "FakeNetwork",
    "FakeSnapshots",
    "FakeTasks",
    "FakeVolumes",
    "Faults",
]


class FakeHealth:
    def __init__(self) -> None:
        self.services = {n: "ok" for n in ("images", "snapshots", "runtime", "network")}

    async def check(self) -> dict[str, str]:
        return dict(self.services)


def fake_clients(faults: Faults | None = None) -> Clients:
    """One fake of each client over one journal of calls and planned failures."""
    faults = faults or Faults()
    snapshots = FakeSnapshots(faults)
    return Clients(
        images=FakeImages(faults, snapshots),
        snapshots=snapshots,
        tasks=FakeTasks(faults),
        network=FakeNetwork(faults),
        volumes=FakeVolumes(faults),
        health=FakeHealth(),
    )
