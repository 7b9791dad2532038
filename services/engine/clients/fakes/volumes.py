"""`VolumeClient` in memory: volumes by name, and a container's files as a dict of paths.

Volumes keep a set of "files" (`contents`), so that an empty one is told from a filled one; a
container's files are `files[(snapshot, path)]` → (mode, bytes), the same for every way the
container is reached. Every call records the `ContainerFilesystem` it was given (`seen`), so
tests check what the engine asked for: the running init, the mounts, a read-only rootfs.
"""

from __future__ import annotations

import secrets
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.clients.volumes import (
    ContainerFilesystem,
    PathStat,
    PutOptions,
    Volume,
    VolumeSpec,
)


class FakeVolumes:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.volumes: dict[str, Volume] = {}
        self.contents: dict[str, set[str]] = {}  # volume -> names in it
        self.image_dirs: dict[str, set[str]] = {}  # snapshot -> directories its image has
        self.files: dict[tuple[str, str], tuple[int, bytes]] = {}  # (snapshot, path) -> file
        self.seen: list[ContainerFilesystem] = []
        self.put: list[tuple[str, PutOptions, bytes]] = []  # (path, options, tar)
        self.holders: dict[str, set[str]] = {}  # volume -> containers mounting it

    async def create(self, spec: VolumeSpec) -> Volume:
        self.faults.enter("volumes.create", spec.name)
        if spec.driver not in ("", "local"):
            raise errors.NotFound(
                f"create {spec.name}: error looking up volume plugin {spec.driver}: "
                f'plugin "{spec.driver}" not found'
            )
        name = spec.name or secrets.token_hex(32)
        if name not in self.volumes:
            data = f"/fake/volumes/{name}/_data"
            self.volumes[name] = Volume(
                name,
                mountpoint=data,
                labels=dict(spec.labels),
                options=dict(spec.options),
                created=datetime.now(UTC),
                mount=Mount("bind", data, options=["rbind"]),
            )
            self.contents[name] = set()
        return replace(self.volumes[name])

    async def get(self, name: str) -> Volume:
        self.faults.enter("volumes.get", name)
        return replace(self._volume(name))

    async def list_volumes(self) -> list[Volume]:
        self.faults.enter("volumes.list_volumes")
        return [replace(v) for _, v in sorted(self.volumes.items())]

    async def remove(self, name: str) -> None:
        self.faults.enter("volumes.remove", name)
        self._volume(name)
        if self.holders.get(name):
            users = ", ".join(sorted(self.holders[name]))
            raise errors.FailedPrecondition(f"remove {name}: volume is in use - [{users}]")
        del self.volumes[name]
        del self.contents[name]

    async def usage(self, names: list[str]) -> dict[str, int]:
        self.faults.enter("volumes.usage")
        return {n: 4096 * len(self.contents[n]) for n in names or list(self.volumes)}

    async def mount(self, name: str, container_id: str) -> Mount:
        self.faults.enter("volumes.mount", name)
        volume = self._volume(name)
        self.holders.setdefault(name, set()).add(container_id)
        return Mount("bind", volume.mountpoint, options=["rbind"])

    async def unmount(self, container_id: str) -> None:
        self.faults.enter("volumes.unmount", container_id)
        for users in self.holders.values():
            users.discard(container_id)

    async def retain(self, container_ids: list[str]) -> None:
        self.faults.enter("volumes.retain")
        for users in self.holders.values():
            users &= set(container_ids)

    async def populate(self, volume: str, container: ContainerFilesystem, path: str) -> bool:
        self.faults.enter("volumes.populate", volume)
        self.seen.append(container)
        self._volume(volume)
        if self.contents[volume] or path not in self.image_dirs.get(container.snapshot, set()):
            return False
        self.contents[volume].add(f"copied from {path}")
        return True

    async def stat_path(self, container: ContainerFilesystem, path: str) -> PathStat:
        self.faults.enter("volumes.stat_path", path)
        self.seen.append(container)
        mode, data = self._file(container, path)
        return PathStat(path.rsplit("/", 1)[-1] or "/", len(data), mode, datetime.now(UTC))

    async def get_archive(
        self, container: ContainerFilesystem, path: str
    ) -> AsyncIterator[PathStat | bytes]:
        yield await self.stat_path(container, path)
        yield self._file(container, path)[1]

    async def put_archive(
        self,
        container: ContainerFilesystem,
        path: str,
        options: PutOptions,
        chunks: AsyncIterator[bytes],
    ) -> None:
        self.faults.enter("volumes.put_archive", path)
        self.seen.append(container)
        if not stat.S_ISDIR(self._file(container, path)[0]):
            raise errors.InvalidArgument("extraction point is not a directory")
        self.put.append((path, options, b"".join([c async for c in chunks])))

    def _volume(self, name: str) -> Volume:
        if name not in self.volumes:
            raise errors.NotFound(f"get {name}: no such volume")
        return self.volumes[name]

    def _file(self, container: ContainerFilesystem, path: str) -> tuple[int, bytes]:
        found = self.files.get((container.snapshot, path))
        if found is None:
            raise errors.NotFound(f"Could not find the file {path} in container {container.name}")
        return found
