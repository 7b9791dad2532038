"""The engine's orchestration over the in-memory fakes of its clients (no root, no services)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from dockyard.api.config import DaemonConfig
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.fakes import (
    FakeImages,
    FakeNetwork,
    FakeSnapshots,
    FakeTasks,
    Faults,
    fake_clients,
)
from dockyard.services.engine.clients.fakes.images import make_image
from dockyard.services.engine.clients.images import ImageConfig
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import Container, ContainerConfig, HostConfig
from dockyard.services.engine.store import ContainerStore


@dataclass
class Rig:
    """The engine's core over fakes, and handles on each fake."""

    root: Path
    store: ContainerStore
    clients: Clients
    faults: Faults
    images: FakeImages
    snapshots: FakeSnapshots
    tasks: FakeTasks
    network: FakeNetwork
    events: EventBus
    life: Lifecycle

    async def create(self, name: str = "", host: HostConfig | None = None) -> Container:
        """A container of busybox running `sh`."""
        config = ContainerConfig(image="busybox", cmd=["sh"])
        return await self.life.creator.create(name, config, host or HostConfig())

    async def run(self, name: str = "", host: HostConfig | None = None) -> Container:
        container = await self.create(name, host)
        return await self.life.start(container.id)

    def leftovers(self) -> list[str]:
        """What the engine still holds anywhere: records, layers, tasks, sandboxes, files."""
        directory = self.root / "containers"
        return [
            *(f"record {c.name}" for c in self.store.list()),
            *(f"snapshot {k[:12]}" for k in self.snapshots.active),
            *(f"task {t[:12]}" for t in self.tasks.tasks),
            *(f"sandbox {s[:12]}" for s in self.network.sandboxes),
            *(f"dir {p.name[:12]}" for p in (directory.iterdir() if directory.exists() else [])),
        ]

    def actions(self) -> list[str]:
        """The container events published so far, as "action" strings."""
        return [e.action for e in self.events.recent() if e.type == "container"]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    faults = Faults()
    clients = fake_clients(faults)
    store = ContainerStore(tmp_path / "containers.db")
    events = EventBus()
    life = Lifecycle(store, clients, tmp_path, DaemonConfig(), events)
    assert isinstance(clients.images, FakeImages)
    assert isinstance(clients.snapshots, FakeSnapshots)
    assert isinstance(clients.tasks, FakeTasks)
    assert isinstance(clients.network, FakeNetwork)
    clients.images.add(make_image("busybox", ImageConfig(cmd=["sh"])), "busybox")
    yield Rig(
        tmp_path,
        store,
        clients,
        faults,
        clients.images,
        clients.snapshots,
        clients.tasks,
        clients.network,
        events,
        life,
    )
    await life.close()
    store.close()


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait until `check()` holds: the engine changes records in tasks of its own, and most
    such changes have no event to wait for."""
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - polls state that has no event of its own
            await asyncio.sleep(0.01)
