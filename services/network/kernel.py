"""What the network model asks of the kernel, as interfaces: links, namespaces, nft, iptables.

In production these are links.py (netlink), nsfs.py (namespaces), nft.py and forward.py
(`production()`); unit tests hand the model recording fakes instead and run without root.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Interface
from pathlib import Path
from typing import Protocol

MTU_OPTION = "com.docker.network.driver.mtu"  # a bridge network's MTU (docker's option)


@dataclass(frozen=True)
class Attachment:
    """One interface to make inside a namespace."""

    ifname: str  # eth0, eth1, ...
    address: IPv4Interface
    mac: str
    gateway: IPv4Address | None  # the default route, for the first network only
    link_local: tuple[IPv4Interface | IPv6Interface, ...] = ()  # --link-local-ip: /16 or /64
    mtu: int = 0  # a bridge network's com.docker.network.driver.mtu (0: the kernel's 1500)


class Links(Protocol):
    """Bridges, veths and macvlans (links.py)."""

    def ensure_bridge(self, name: str, gateway: IPv4Interface) -> None: ...
    def allow_localnet(self, name: str) -> None: ...
    def release_bridge(self, name: str, gateway: IPv4Interface, delete: bool) -> None: ...
    def delete_link(self, name: str) -> None: ...
    def ports_of(self, bridge: str) -> list[str]: ...
    def links_named(self, prefix: str) -> list[str]: ...
    def host_routes(self) -> list[IPv4Network]: ...
    def add_veth(
        self, netns: Path, bridge: str, host_name: str, attachment: Attachment
    ) -> None: ...
    def add_macvlan(self, netns: Path, parent: str, mode: str, attachment: Attachment) -> None: ...
    def remove_in_netns(self, netns: Path, ifname: str) -> None: ...


@dataclass(frozen=True)
class Namespaces:
    """Persistent network namespaces (nsfs.py)."""

    create: Callable[[Path], None]
    remove: Callable[[Path], None]
    is_mounted: Callable[[Path], bool]


@dataclass(frozen=True)
class Kernel:
    links: Links
    namespaces: Namespaces
    nft: Callable[[str], None]  # apply an nft script, one transaction (nft.run)
    open_forward: Callable[[str, list[str]], None]  # FORWARD exceptions (forward.open_forward)


def production() -> Kernel:
    from dockyard.services.network import forward, links, nft, nsfs

    namespaces = Namespaces(create=nsfs.create, remove=nsfs.remove, is_mounted=nsfs.is_mounted)
    return Kernel(links, namespaces, nft.run, forward.open_forward)
