"""The rtnetlink messages the network service sends, and the replies it reads (rtnetlink(7)).

Links (linux/if_link.h, linux/veth.h): a bridge; a veth whose peer is made directly in a
container's namespace with its name and MAC; a macvlan made in one; up; delete; a dump of
every link's index, name and master. IPv4 addresses (linux/if_addr.h): add, delete, a dump.
IPv4 routes (linux/rtnetlink.h): a dump of the main table, the default route replaced.

The functions below build request bodies (pure, tested byte by byte); `Route` sends them on a
NETLINK_ROUTE socket of the calling thread's namespace (netlink.py).
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Interface
from pathlib import Path
from types import TracebackType

from dockyard.services.network import nlwire
from dockyard.services.network.netlink import NETLINK_ROUTE, Netlink
from dockyard.services.network.nlwire import NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, attrs

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
IFINFO = struct.Struct("=BxHiII")  # struct ifinfomsg: family, type, index, flags, change
IFADDR = struct.Struct("=BBBBI")  # struct ifaddrmsg: family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # struct rtmsg: family, dst_len, src_len, tos, table,
# protocol, scope, type, flags
IFF_UP = 0x1
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_LINKINFO, IFLA_NET_NS_FD = 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
VETH_INFO_PEER = 1
IFLA_MACVLAN_MODE = 1
MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15
RT_TABLE_MAIN = 254
RTPROT_BOOT = 3  # what `ip route` sets
RT_SCOPE_UNIVERSE = 0
RTN_UNICAST = 1
CREATE = NLM_F_CREATE | NLM_F_EXCL  # a new one, or EEXIST


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    master: int | None  # the bridge's index, for an enslaved link


def ifinfo(index: int = 0, up: bool = False) -> bytes:
    return IFINFO.pack(socket.AF_UNSPEC, 0, index, IFF_UP if up else 0, IFF_UP if up else 0)


def linkinfo(kind: str, *data: tuple[int, nlwire.Value]) -> tuple[int, nlwire.Value]:
    """IFLA_LINKINFO: the link's kind and its kind's own attributes."""
    info: list[tuple[int, nlwire.Value]] = [(IFLA_INFO_KIND, kind)]
    if data:
        info.append((IFLA_INFO_DATA, list(data)))
    return (IFLA_LINKINFO, info)


def new_bridge(name: str) -> bytes:
    return ifinfo() + attrs((IFLA_IFNAME, name), linkinfo("bridge"))


def new_veth(
    name: str, master: int, peer: str, peer_mac: str, peer_netns: int, mtu: int = 0
) -> bytes:
    """A veth `name`, enslaved to `master` and up, whose peer `peer` is made in the namespace
    of the fd `peer_netns` (VETH_INFO_PEER: an ifinfomsg and the peer's own attributes); both
    ends of `mtu` bytes when given (the kernel's default, 1500, otherwise)."""
    sized: list[tuple[int, nlwire.Value]] = [(IFLA_MTU, mtu)] if mtu else []
    peer_attrs = attrs(
        (IFLA_IFNAME, peer), (IFLA_ADDRESS, mac(peer_mac)), (IFLA_NET_NS_FD, peer_netns), *sized
    )
    return ifinfo(up=True) + attrs(
        (IFLA_IFNAME, name),
        (IFLA_MASTER, master),
        *sized,
        linkinfo("veth", (VETH_INFO_PEER, ifinfo() + peer_attrs)),
    )


def new_macvlan(name: str, address: str, lower: int, mode: str, netns: int) -> bytes:
    """A macvlan over the link `lower`, made in the namespace of the fd `netns`."""
    if mode not in MACVLAN_MODES:
        raise ValueError(f"unknown macvlan mode {mode!r}")
    return ifinfo() + attrs(
        (IFLA_IFNAME, name),
        (IFLA_ADDRESS, mac(address)),
        (IFLA_LINK, lower),
        (IFLA_NET_NS_FD, netns),
        linkinfo("macvlan", (IFLA_MACVLAN_MODE, MACVLAN_MODES[mode])),
    )


def address(index: int, interface: IPv4Interface | IPv6Interface) -> bytes:
    """An address of the link `index` (to add or delete)."""
    ip = interface.ip.packed
    family = socket.AF_INET if interface.version == 4 else socket.AF_INET6
    header = IFADDR.pack(family, interface.network.prefixlen, 0, 0, index)
    return header + attrs((IFA_LOCAL, ip), (IFA_ADDRESS, ip))


def default_route(gateway: IPv4Address, oif: int) -> bytes:
    header = RTMSG.pack(
        socket.AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0
    )
    return header + attrs((RTA_GATEWAY, gateway.packed), (RTA_OIF, oif))


def mac(text: str) -> bytes:
    value = bytes.fromhex(text.replace(":", ""))
    if len(value) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    return value


def link_of(body: bytes) -> Link:
    """A link of an RTM_NEWLINK reply."""
    index = IFINFO.unpack_from(body)[2]
    found = nlwire.parse_attrs(body, IFINFO.size)
    master = found.get(IFLA_MASTER)
    return Link(
        index, nlwire.string(found.get(IFLA_IFNAME, b"")), nlwire.u32(master) if master else None
    )


def address_of(body: bytes) -> tuple[int, IPv4Interface] | None:
    """The link index and IPv4 address of an RTM_NEWADDR reply (None: another family)."""
    family, prefixlen, _, _, index = IFADDR.unpack_from(body)
    value = nlwire.parse_attrs(body, IFADDR.size).get(IFA_ADDRESS)
    if family != socket.AF_INET or value is None:
        return None
    return index, IPv4Interface((IPv4Address(value), prefixlen))


def route_of(body: bytes) -> tuple[int, IPv4Network] | None:
    """The table and destination of an RTM_NEWROUTE reply (None: not IPv4)."""
    family, dst_len, _, _, table = RTMSG.unpack_from(body)[:5]
    if family != socket.AF_INET:
        return None
    found = nlwire.parse_attrs(body, RTMSG.size)
    if RTA_TABLE in found:
        table = nlwire.u32(found[RTA_TABLE])  # tables past 255 are only here
    dst = IPv4Address(found[RTA_DST]) if RTA_DST in found else IPv4Address(0)
    return table, IPv4Network((dst, dst_len), strict=False)


class Route:
    """A NETLINK_ROUTE socket of the calling thread's namespace, with our few requests."""

    def __init__(self) -> None:
        self._nl = Netlink(NETLINK_ROUTE)

    def __enter__(self) -> Route:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._nl.close()

    def add_bridge(self, name: str) -> None:
        self._nl.request(RTM_NEWLINK, CREATE, new_bridge(name))

    def add_veth(
        self, name: str, master: int, peer: str, peer_mac: str, netns: Path, mtu: int = 0
    ) -> None:
        with _opened(netns) as fd:
            message = new_veth(name, master, peer, peer_mac, fd, mtu)
            self._nl.request(RTM_NEWLINK, CREATE, message)

    def add_macvlan(self, name: str, address: str, lower: int, mode: str, netns: Path) -> None:
        with _opened(netns) as fd:
            self._nl.request(RTM_NEWLINK, CREATE, new_macvlan(name, address, lower, mode, fd))

    def set_up(self, index: int) -> None:
        self._nl.request(RTM_NEWLINK, 0, ifinfo(index, up=True))

    def delete_link(self, index: int) -> None:
        self._nl.request(RTM_DELLINK, 0, ifinfo(index))

    def links(self) -> list[Link]:
        return [link_of(body) for body in self._nl.dump(RTM_GETLINK, ifinfo())]

    def add_address(self, index: int, interface: IPv4Interface | IPv6Interface) -> None:
        self._nl.request(RTM_NEWADDR, CREATE, address(index, interface))

    def delete_address(self, index: int, interface: IPv4Interface) -> None:
        self._nl.request(RTM_DELADDR, 0, address(index, interface))

    def addresses(self, index: int) -> list[IPv4Interface]:
        """The IPv4 addresses of the link `index`."""
        request = IFADDR.pack(socket.AF_INET, 0, 0, 0, 0)
        found = [address_of(body) for body in self._nl.dump(RTM_GETADDR, request)]
        return [one[1] for one in found if one is not None and one[0] == index]

    def main_routes(self) -> list[IPv4Network]:
        """The destinations of the IPv4 routes of the main table."""
        request = RTMSG.pack(socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)
        found = [route_of(body) for body in self._nl.dump(RTM_GETROUTE, request)]
        return [one[1] for one in found if one is not None and one[0] == RT_TABLE_MAIN]

    def replace_default_route(self, gateway: IPv4Address, oif: int) -> None:
        self._nl.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, default_route(gateway, oif))


@contextmanager
def _opened(path: Path) -> Iterator[int]:
    """A namespace file open for the length of one request (IFLA_NET_NS_FD)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)
