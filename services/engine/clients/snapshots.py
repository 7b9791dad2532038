"""`SnapshotClient`: a container's writable layer, from the snapshots service.

A snapshotter returns mount descriptions and never mounts (containerd's lesson): `Mount` is
the one thing passed on from snapshots to the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Mount:
    """One mount as mount(2) takes it; `target` is relative to the rootfs ("" = the rootfs)."""

    type: str
    source: str
    target: str = ""
    options: list[str] = field(default_factory=list)


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
