"""The engine's tag and the names it gives what it makes in the kernel. Pure but for the file.

Names are engine-scoped by a tag kept in <root>/network/tag, so that two engines on one host
never touch each other's links or rules (Linux caps link names at 15 characters):

    dockyard<tag>       the default bridge network's bridge, unless daemon.json names one
    dy<tag>-<id8>       a user network's bridge, unless -o com.docker.network.bridge.name
    v<tag><endpoint10>  the host end of a container's veth (its peer: the same and "p")
    dockyard_<tag>      the nft table

A bridge the engine named is the engine's to delete; one the user named may be the user's
own, so the engine only takes its address and route_localnet away from it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tag:
    value: str

    @classmethod
    def load(cls, path: Path) -> Tag:
        """The tag kept at `path`, made (4 hex digits) the first time."""
        try:
            return cls(path.read_text().strip())
        except FileNotFoundError:
            tag = secrets.token_hex(2)
            path.write_text(tag + "\n")
            return cls(tag)

    @property
    def table(self) -> str:
        return f"dockyard_{self.value}"

    @property
    def default_bridge(self) -> str:
        return f"dockyard{self.value}"

    @property
    def bridge_prefix(self) -> str:
        return f"dy{self.value}-"

    @property
    def veth_prefix(self) -> str:
        return f"v{self.value}"

    def user_bridge(self, network_id: str) -> str:
        return f"{self.bridge_prefix}{network_id[:8]}"

    def veth(self, endpoint_id: str) -> str:
        return f"{self.veth_prefix}{endpoint_id[:10]}"

    def owns_bridge(self, name: str) -> bool:
        """Whether the engine chose this bridge's name (and so may delete the bridge)."""
        return name == self.default_bridge or name.startswith(self.bridge_prefix)
