"""`SnapshotClient` in memory: committed snapshots by name, active ones by key.

A diff of an active snapshot is a made-up tar (`b"changes of <key>"`, its diff ID that
text's sha256) unless the test put the key in `unchanged` (an empty diff) or gave its
`changes` list; the stubs each diff was told about are kept in `stubs_seen`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.snapshots import Change, DiffChunk, Mount


class FakeSnapshots:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.committed: set[str] = set()
        self.active: dict[str, str] = {}  # key -> parent
        self.views: set[str] = set()  # active keys that are read-only views
        self.unchanged: set[str] = set()  # keys whose diff is empty
        self.change_lists: dict[str, list[Change]] = {}
        self.stubs_seen: dict[str, list[str]] = {}
        self.sizes: dict[str, int] = {}  # usage by key (0 when not set)

    def add_committed(self, name: str) -> None:
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
        if key in self.committed:
            if any(parent == key for parent in self.active.values()):
                raise errors.FailedPrecondition(f"cannot remove snapshot {key}: in use")
            self.committed.discard(key)
            return
        if self.active.pop(key, None) is None:
            raise errors.NotFound(f"snapshot {key} does not exist")
        self.views.discard(key)

    async def view(self, key: str, parent: str) -> list[Mount]:
        self.faults.enter("snapshots.view", key)
        mounts = await self._prepare_quietly(key, parent)
        self.views.add(key)
        return mounts

    async def _prepare_quietly(self, key: str, parent: str) -> list[Mount]:
        if key in self.active or key in self.committed:
            raise errors.AlreadyExists(f"snapshot {key} already exists")
        if parent and parent not in self.committed:
            raise errors.NotFound(f"parent snapshot {parent} does not exist")
        self.active[key] = parent
        return self._mounts(key)

    async def commit(self, name: str, key: str) -> None:
        self.faults.enter("snapshots.commit", key)
        if key not in self.active or key in self.views:
            raise errors.NotFound(f"snapshot {key} does not exist")
        if name in self.committed or name in self.active:
            raise errors.AlreadyExists(f"snapshot {name} already exists")
        del self.active[key]
        self.committed.add(name)

    async def exists(self, name: str) -> bool:
        self.faults.enter("snapshots.exists", name)
        return name in self.committed

    async def active_keys(self) -> list[str]:
        self.faults.enter("snapshots.active_keys")
        return list(self.active)

    async def export(self, key: str) -> AsyncIterator[bytes]:
        self.faults.enter("snapshots.export", key)
        if key not in self.active:
            raise errors.NotFound(f"snapshot {key} does not exist")
        yield f"the files of {key}".encode()

    async def diff(
        self, key: str, stubs: list[str], remove_stubs: bool
    ) -> AsyncIterator[DiffChunk]:
        self.faults.enter("snapshots.diff", key)
        if key not in self.active:
            raise errors.NotFound(f"snapshot {key} does not exist")
        self.stubs_seen[key] = list(stubs)
        data = b"" if key in self.unchanged else f"changes of {key}".encode()
        if data:
            yield DiffChunk(data)
        diff_id = "sha256:" + hashlib.sha256(data).hexdigest()
        yield DiffChunk(diff_id=diff_id, size=len(data), entries=1 if data else 0)

    async def changes(self, key: str, stubs: list[str]) -> list[Change]:
        self.faults.enter("snapshots.changes", key)
        if key not in self.active:
            raise errors.NotFound(f"snapshot {key} does not exist")
        self.stubs_seen[key] = list(stubs)
        return list(self.change_lists.get(key, []))

    async def usage(self, key: str, content: bool = False) -> int:
        self.faults.enter("snapshots.usage", key)
        if key not in self.active and key not in self.committed:
            raise errors.NotFound(f"snapshot {key} does not exist")
        return self.sizes.get(key, 0)

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
