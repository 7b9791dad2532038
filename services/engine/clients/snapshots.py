"""`SnapshotClient`: a container's writable layer, from the snapshots service.

A snapshotter returns mount descriptions and never mounts (containerd's lesson): `Mount` is
the one thing passed on from snapshots to the runtime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Mount:
    """One mount as mount(2) takes it; `target` is relative to the rootfs ("" = the rootfs)."""

    type: str
    source: str
    target: str = ""
    options: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One change of a writable layer, as `docker diff` shows it."""

    kind: str  # "A" | "C" | "D"
    path: str  # absolute inside the rootfs


@dataclass(frozen=True)
class DiffChunk:
    """A piece of a layer tar; the last one carries what the whole tar was."""

    data: bytes = b""
    diff_id: str = ""  # last chunk only: sha256 of the uncompressed tar
    size: int = 0  # last chunk only: bytes of the uncompressed tar
    entries: int = 0  # last chunk only: entries in the tar (0 = nothing changed)


class SnapshotClient(Protocol):
    async def prepare(self, key: str, parent: str) -> list[Mount]:
        """An active snapshot `key` over the committed `parent`; AlreadyExists if `key` is."""
        ...

    async def mounts(self, key: str) -> list[Mount]:
        """The mounts presenting the snapshot `key`; NotFound if there is none."""
        ...

    async def remove(self, key: str) -> None:
        """Delete the snapshot `key`; NotFound if there is none."""
        ...

    async def view(self, key: str, parent: str) -> list[Mount]:
        """A read-only snapshot `key` of the committed `parent`."""
        ...

    async def commit(self, name: str, key: str) -> None:
        """Freeze the active snapshot `key` as `name`; AlreadyExists if `name` is taken."""
        ...

    async def exists(self, name: str) -> bool:
        """Whether a committed snapshot `name` exists."""
        ...

    async def active_keys(self) -> list[str]:
        """The keys of every active snapshot and view (for start-up clean-up)."""
        ...

    def diff(self, key: str, stubs: list[str], remove_stubs: bool) -> AsyncIterator[DiffChunk]:
        """The changes of the active snapshot `key` as a gzip layer tar, in chunks; mount
        `stubs` the runtime made are left out (and removed from it with `remove_stubs`)."""
        ...

    def export(self, key: str) -> AsyncIterator[bytes]:
        """The whole filesystem the snapshot shows, as a tar, in pieces."""
        ...

    async def changes(self, key: str, stubs: list[str]) -> list[Change]:
        """What the active snapshot `key` changed, as `docker diff` lists it."""
        ...

    async def usage(self, key: str, content: bool = False) -> int:
        """Bytes the snapshot's own layer takes on disk; with `content`, its files' own sizes
        (docker's SizeRw)."""
        ...
