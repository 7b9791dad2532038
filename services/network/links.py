"""Links: bridges, veth pairs and macvlans, made with netlink (pyroute2). Privileged calls only.

Work inside a container's namespace happens in a fresh thread that setns(2)s into it: a
netlink socket opened there belongs to that namespace, and the thread ends with it (the
process never forks; network namespaces are per thread). Each call is idempotent where it
tears down, so a crash half way is repaired by doing it again.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import TypeVar

from dockyard.api.errors import InvalidArgument
from dockyard.services.network import nsfs
from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

T = TypeVar("T")


@dataclass(frozen=True)
class Attachment:
    """One interface to make inside a namespace."""

    ifname: str  # eth0, eth1, ...
    address: IPv4Interface
    mac: str
    gateway: IPv4Address | None  # the default route, for the first network only


def in_netns(netns: Path, work: Callable[[], T]) -> T:
    """Run `work` in a thread that has joined the network namespace pinned at `netns`."""

    def joined() -> T:
        nsfs.enter(netns)
        return work()

    return nsfs.in_own_thread(joined, f"netns-{netns.name[:12]}")


def ensure_bridge(name: str, gateway: IPv4Interface) -> None:
    """The bridge `name` exists, is up and holds `gateway`; the host forwards."""
    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            ipr.link("add", ifname=name, kind="bridge")
            found = ipr.link_lookup(ifname=name)
        index = found[0]
        have = {(a.get("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.get_addr(index=index, family=2)}
        if (str(gateway.ip), gateway.network.prefixlen) not in have:
            ipr.addr(
                "add", index=index, address=str(gateway.ip), prefixlen=gateway.network.prefixlen
            )
        ipr.link("set", index=index, state="up")
    _sysctl("net/ipv4/ip_forward", "1")


def allow_localnet(name: str) -> None:
    """Let DNAT from loopback (a port published on 127.0.0.1) leave by the bridge `name`.

    route_localnet also makes the kernel accept packets for 127.0.0.0/8 arriving on it: only
    once the rules that drop those (nat.py, chain localnet) are in place."""
    _sysctl(f"net/ipv4/conf/{name}/route_localnet", "1")


def release_bridge(name: str, gateway: IPv4Interface, delete: bool) -> None:
    """Undo `ensure_bridge` and `allow_localnet`: delete the bridge, or (one the engine does
    not own by name) take away its address and route_localnet and leave the link."""
    if delete:
        delete_link(name)
        return
    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            return
        try:
            ipr.addr(
                "del", index=found[0], address=str(gateway.ip), prefixlen=gateway.network.prefixlen
            )
        except NetlinkError as err:
            if err.code != errno.EADDRNOTAVAIL:
                raise
    _sysctl(f"net/ipv4/conf/{name}/route_localnet", "0")


def delete_link(name: str) -> None:
    with IPRoute() as ipr:
        try:
            ipr.link("del", ifname=name)
        except NetlinkError as err:
            if err.code not in (errno.ENODEV, errno.ENOENT, errno.EINVAL):
                raise


def link_exists(name: str) -> bool:
    with IPRoute() as ipr:
        return bool(ipr.link_lookup(ifname=name))


def ports_of(bridge: str) -> list[str]:
    """Names of the links enslaved to `bridge` (the host ends of its veths)."""
    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=bridge)
        if not found:
            return []
        return [
            link.get("IFLA_IFNAME")
            for link in ipr.get_links()
            if link.get("IFLA_MASTER") == found[0]
        ]


def links_named(prefix: str) -> list[str]:
    with IPRoute() as ipr:
        return [
            name
            for link in ipr.get_links()
            if (name := link.get("IFLA_IFNAME", "")).startswith(prefix)
        ]


def host_routes() -> list[IPv4Network]:
    """The host's IPv4 routes, default route excepted: what a new subnet must not overlap."""
    routes = []
    with IPRoute() as ipr:
        for route in ipr.get_routes(family=2, table=254):
            if route["dst_len"] == 0:
                continue
            routes.append(IPv4Network(f"{route.get('RTA_DST')}/{route['dst_len']}", strict=False))
    return routes


def add_veth(netns: Path, bridge: str, host_name: str, attachment: Attachment) -> None:
    """A veth from `bridge` (host end `host_name`) into `netns`, configured there."""
    peer = f"{host_name}p"[:15]
    with IPRoute() as ipr:
        if ipr.link_lookup(ifname=host_name):
            ipr.link("del", ifname=host_name)  # left by a crash half way: start over
        master = ipr.link_lookup(ifname=bridge)
        if not master:
            raise InvalidArgument(f"bridge {bridge} does not exist")
        ipr.link(
            "add",
            ifname=host_name,
            kind="veth",
            peer={"ifname": peer, "net_ns_fd": str(netns)},
        )
        index = ipr.link_lookup(ifname=host_name)[0]
        ipr.link("set", index=index, master=master[0], state="up")
    try:
        in_netns(netns, lambda: _configure(peer, attachment))
    except BaseException:
        delete_link(host_name)
        raise


def add_macvlan(netns: Path, parent: str, mode: str, attachment: Attachment) -> None:
    """A macvlan on the host link `parent`, moved into `netns` and configured there."""
    temporary = f"mv{os.urandom(5).hex()}"
    with IPRoute() as ipr:
        lower = ipr.link_lookup(ifname=parent)
        if not lower:
            raise InvalidArgument(f"parent interface {parent} does not exist")
        ipr.link("add", ifname=temporary, kind="macvlan", link=lower[0], macvlan_mode=mode)
        try:
            index = ipr.link_lookup(ifname=temporary)[0]
            ipr.link("set", index=index, net_ns_fd=str(netns))
        except BaseException:
            ipr.link("del", ifname=temporary)
            raise
    in_netns(netns, lambda: _configure(temporary, attachment))


def remove_in_netns(netns: Path, ifname: str) -> None:
    """Delete `ifname` inside `netns` (a veth's host end goes with it)."""

    def work() -> None:
        with IPRoute() as ipr:
            found = ipr.link_lookup(ifname=ifname)
            if found:
                ipr.link("del", index=found[0])

    in_netns(netns, work)


def _configure(current: str, attachment: Attachment) -> None:
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=current)[0]
        ipr.link("set", index=index, state="down")
        ipr.link("set", index=index, ifname=attachment.ifname, address=attachment.mac)
        ipr.addr(
            "add",
            index=index,
            address=str(attachment.address.ip),
            prefixlen=attachment.address.network.prefixlen,
        )
        ipr.link("set", index=index, state="up")
        if attachment.gateway is not None:
            ipr.route("replace", dst="0.0.0.0/0", gateway=str(attachment.gateway), oif=index)


def _sysctl(key: str, value: str) -> None:
    path = Path("/proc/sys") / key
    try:
        if path.read_text().strip() != value:
            path.write_text(value)
    except OSError as err:
        raise OSError(err.errno, f"sysctl {key}={value}: {err.strerror}") from None
