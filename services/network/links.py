"""Links: bridges, veth pairs and macvlans, made with netlink (pyroute2). Privileged calls only.

Work inside a container's namespace happens in a fresh thread that setns(2)s into it: a
netlink socket opened there belongs to that namespace, and the thread ends with it (the
process never forks; network namespaces are per thread). Each call is idempotent where it
tears down, so a crash half way is repaired by doing it again.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import TypeVar

from dockyard.api.errors import InvalidArgument
from dockyard.services.network import netlink, nsfs
from dockyard.services.network.kernel import Attachment

T = TypeVar("T")


def in_netns(netns: Path, work: Callable[[], T]) -> T:
    """Run `work` in a thread that has joined the network namespace pinned at `netns`."""

    def joined() -> T:
        nsfs.enter(netns)
        return work()

    return nsfs.in_own_thread(joined, f"netns-{netns.name[:12]}")


def ensure_bridge(name: str, gateway: IPv4Interface) -> None:
    """The bridge `name` exists, is up and holds `gateway`; the host forwards."""
    with netlink.IPRoute() as ipr:
        if _index(name) is None:
            ipr.link("add", ifname=name, kind="bridge")
        index = socket.if_nametoindex(name)
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
    not own by name) take away its address, and route_localnet once no address is left on it
    (a bridge shared with another engine keeps what that engine needs)."""
    if delete:
        delete_link(name)
        return
    index = _index(name)
    if index is None:
        return
    with netlink.IPRoute() as ipr:
        try:
            ipr.addr(
                "del", index=index, address=str(gateway.ip), prefixlen=gateway.network.prefixlen
            )
        except netlink.NetlinkError as err:
            if err.code != errno.EADDRNOTAVAIL:
                raise
        others = ipr.get_addr(index=index, family=2)
    if not others:
        _sysctl(f"net/ipv4/conf/{name}/route_localnet", "0")


def delete_link(name: str) -> None:
    """Delete the link `name` of the calling thread's namespace; none there is fine."""
    index = _index(name)
    if index is None:
        return
    with netlink.IPRoute() as ipr:
        try:
            ipr.link("del", index=index)
        except netlink.NetlinkError as err:
            if err.code not in (errno.ENODEV, errno.ENOENT, errno.EINVAL):
                raise


def ports_of(bridge: str) -> list[str]:
    """Names of the links enslaved to `bridge` (the host ends of its veths)."""
    master = _index(bridge)
    if master is None:
        return []
    with netlink.IPRoute() as ipr:
        return [
            link.get("IFLA_IFNAME") for link in ipr.get_links() if link.get("IFLA_MASTER") == master
        ]


def links_named(prefix: str) -> list[str]:
    with netlink.IPRoute() as ipr:
        return [
            name
            for link in ipr.get_links()
            if (name := link.get("IFLA_IFNAME", "")).startswith(prefix)
        ]


def host_routes() -> list[IPv4Network]:
    """The host's IPv4 routes, default route excepted: what a new subnet must not overlap."""
    routes = []
    with netlink.IPRoute() as ipr:
        for route in ipr.get_routes(family=2, table=254):
            if route["dst_len"] == 0:
                continue
            routes.append(IPv4Network(f"{route.get('RTA_DST')}/{route['dst_len']}", strict=False))
    return routes


def add_veth(netns: Path, bridge: str, host_name: str, attachment: Attachment) -> None:
    """A veth from `bridge` (host end `host_name`) into `netns`, configured there.

    One request makes both ends: the host end enslaved and up, the other already in the
    namespace with its final name and MAC; inside remain its address, up, and the route."""
    master = _index(bridge)
    if master is None:
        raise InvalidArgument(f"bridge {bridge} does not exist")
    delete_link(host_name)  # left by a crash half way: start over
    peer = {"ifname": attachment.ifname, "address": attachment.mac, "net_ns_fd": str(netns)}
    with netlink.IPRoute() as ipr:
        ipr.link("add", ifname=host_name, kind="veth", master=master, state="up", peer=peer)
    try:
        in_netns(netns, lambda: _configure(attachment))
    except BaseException:
        delete_link(host_name)
        raise


def add_macvlan(netns: Path, parent: str, mode: str, attachment: Attachment) -> None:
    """A macvlan on the host link `parent`, made inside `netns` and configured there."""
    lower = _index(parent)
    if lower is None:
        raise InvalidArgument(f"parent interface {parent} does not exist")
    with netlink.IPRoute() as ipr:
        ipr.link(
            "add",
            ifname=attachment.ifname,
            address=attachment.mac,
            kind="macvlan",
            link=lower,
            macvlan_mode=mode,
            net_ns_fd=str(netns),
        )
    in_netns(netns, lambda: _configure(attachment))


def remove_in_netns(netns: Path, ifname: str) -> None:
    """Delete `ifname` inside `netns` (a veth's host end goes with it)."""
    in_netns(netns, lambda: delete_link(ifname))


def _configure(attachment: Attachment) -> None:
    """Inside the namespace: the interface's address, up, and the default route."""
    index = socket.if_nametoindex(attachment.ifname)
    address = attachment.address
    with netlink.IPRoute() as ipr:
        ipr.addr("add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen)
        ipr.link("set", index=index, state="up")
        if attachment.gateway is not None:
            ipr.route("replace", dst="0.0.0.0/0", gateway=str(attachment.gateway), oif=index)


def _index(name: str) -> int | None:
    """The link's index in the calling thread's namespace (an ioctl: no dump of every link)."""
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return None


def _sysctl(key: str, value: str) -> None:
    path = Path("/proc/sys") / key
    try:
        if path.read_text().strip() != value:
            path.write_text(value)
    except OSError as err:
        raise OSError(err.errno, f"sysctl {key}={value}: {err.strerror}") from None
