"""`SnapshotClient` in memory: committed snapshots by name, active ones by key."""

from __future__ import annotations

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.snapshots import Mount


class FakeSnapshots:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.committed: set[str] = set()
        self.active: dict[str, str] = {}  # key -> parent

    def commit(self, name: str) -> None:
        """Make a committed snapshot (what unpacking an image leaves)."""
        self.committed.add(name)

    async def prepare(self, key: str, parent: str) -> list[Mount]:
        self.faults.enter("snapshots.prepare", key)
        if key in self.active or key in self.committed:
            raise errors.AlreadyExists(f"snapshot {key} already exists")
        if parent and parent not in self.committed:
            raise errors.NotFound(f"parent snapshot {parent} does not exist")
        self.active[key] = parent
        return self._mounts(key)

    async def mounts(self, key: str) -> list[Mount]:
        self.faults.enter("snapshots.mounts", key)
        if key not in self.active:
            raise errors.NotFound(f"snapshot {key} does not exist")
        return self._mounts(key)

    async def remove(self, key: str) -> None:
        self.faults.enter("snapshots.remove", key)
        if self.active.pop(key, None) is None:
            raise errors.NotFound(f"snapshot {key} does not exist")

    def _mounts(self, key: str) -> list[Mount]:
        upper = f"/fake/snapshots/{key}/fs"
        if not self.active[key]:
            return [Mount("bind", upper, options=["rbind", "rw"])]
        options = [
            f"lowerdir=/fake/snapshots/{self.active[key]}/fs",
            f"upperdir={upper}",
            f"workdir=/fake/snapshots/{key}/work",
        ]
        return [Mount("overlay", "overlay", options=options)]
