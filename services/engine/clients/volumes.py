"""`VolumeClient`: named volumes and a container's files, from the volumes service (served by
the snapshots process, dockyard.volumes.v1).

`Volume.mount` describes a volume (a bind of its data directory, or the tmpfs or device its
options name); a container that starts gets its volumes through `mount` (counted per container
until `unmount`: a volume with options has its device mounted once on its data directory, as
docker's local driver does) and binds what it answers. A container's files are reached as it sees them (`ContainerFilesystem`): entered while it
runs, assembled from its layer, volumes and binds while it does not. The engine owns which
containers use a volume: the service removes what it is told to. `Volume` mirrors the proto's
fields, so it passes through the engine's API unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dockyard.services.engine.clients.snapshots import Mount


@dataclass
class UsageData:
    size: int = -1  # bytes; -1 = not measured
    ref_count: int = -1  # containers using it; -1 = not counted


@dataclass
class Volume:
    name: str
    driver: str = "local"
    mountpoint: str = ""  # its data directory on the host
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)  # the driver's: type, device, o
    created: datetime | None = None
    mount: Mount = field(default_factory=lambda: Mount("bind", ""))  # target "": the caller's
    usage: UsageData | None = None


@dataclass
class VolumeSpec:
    name: str = ""  # "" = anonymous (a random name)
    driver: str = ""  # "" = local
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class ContainerFilesystem:
    container_id: str
    snapshot: str  # its writable layer's key
    pid: int = 0  # its init while it runs; 0 = stopped
    mounts: list[Mount] = field(default_factory=list)  # volumes and binds, target inside
    read_only: bool = False  # its rootfs
    name: str = ""  # how errors name it


@dataclass
class PathStat:
    name: str
    size: int = 0
    mode: int = 0  # st_mode
    mtime: datetime | None = None
    link_target: str = ""


@dataclass
class PutOptions:
    copy_uid_gid: bool = False  # keep the tar's owners (cp -a); else root's
    no_overwrite_dir_non_dir: bool = False


class VolumeClient(Protocol):
    async def create(self, spec: VolumeSpec) -> Volume:
        """A new volume, or the existing one of that name; NotFound for an unknown driver."""
        ...

    async def get(self, name: str) -> Volume:
        """NotFound "get NAME: no such volume"."""
        ...

    async def list_volumes(self) -> list[Volume]: ...

    async def remove(self, name: str) -> None:
        """Delete the volume and its data; FailedPrecondition while a container mounts it."""
        ...

    async def usage(self, names: list[str]) -> dict[str, int]:
        """Bytes each volume's data takes ([] = every volume)."""
        ...

    async def mount(self, name: str, container_id: str) -> Mount:
        """The container uses the volume (until `unmount`); the mount it gets."""
        ...

    async def unmount(self, container_id: str) -> None:
        """The container uses no volume any more (idempotent)."""
        ...

    async def retain(self, container_ids: list[str]) -> None:
        """Every container not named uses no volume any more."""
        ...

    async def populate(self, volume: str, container: ContainerFilesystem, path: str) -> bool:
        """Fill the empty volume from the container's image at `path`; False if left as is."""
        ...

    async def stat_path(self, container: ContainerFilesystem, path: str) -> PathStat: ...

    def get_archive(
        self, container: ContainerFilesystem, path: str
    ) -> AsyncIterator[PathStat | bytes]:
        """The stat of `path`, then its tar in chunks."""
        ...

    async def put_archive(
        self,
        container: ContainerFilesystem,
        path: str,
        options: PutOptions,
        chunks: AsyncIterator[bytes],
    ) -> None:
        """Extract the tar `chunks` into the directory `path`."""
        ...
