"""Links: bridges, veth pairs and macvlans, made with rtnetlink (rtnl.py). Privileged calls only.

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
from dockyard.services.network import netlink, nsfs, rtnl
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
    with rtnl.Route() as route:
        if _index(name) is None:
            route.add_bridge(name)
        index = socket.if_nametoindex(name)
        if gateway not in route.addresses(index):
            route.add_address(index, gateway)
        route.set_up(index)
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
    with rtnl.Route() as route:
        try:
            route.delete_address(index, gateway)
        except netlink.NetlinkError as err:
            if err.code != errno.EADDRNOTAVAIL:
                raise
        others = route.addresses(index)
    if not others:
        _sysctl(f"net/ipv4/conf/{name}/route_localnet", "0")


def delete_link(name: str) -> None:
    """Delete the link `name` of the calling thread's namespace; none there is fine."""
    index = _index(name)
    if index is None:
        return
    with rtnl.Route() as route:
        try:
            route.delete_link(index)
        except netlink.NetlinkError as err:
            if err.code not in (errno.ENODEV, errno.ENOENT, errno.EINVAL):
                raise


def ports_of(bridge: str) -> list[str]:
    """Names of the links enslaved to `bridge` (the host ends of its veths)."""
    master = _index(bridge)
    if master is None:
        return []
    with rtnl.Route() as route:
        return [link.name for link in route.links() if link.master == master]


def links_named(prefix: str) -> list[str]:
    with rtnl.Route() as route:
        return [link.name for link in route.links() if link.name.startswith(prefix)]


def host_routes() -> list[IPv4Network]:
    """The host's IPv4 routes, default route excepted: what a new subnet must not overlap."""
    with rtnl.Route() as route:
        return [network for network in route.main_routes() if network.prefixlen > 0]


def add_veth(netns: Path, bridge: str, host_name: str, attachment: Attachment) -> None:
    """A veth from `bridge` (host end `host_name`) into `netns`, configured there.

    One request makes both ends: the host end enslaved and up, the other already in the
    namespace with its final name and MAC; inside remain its address, up, and the route."""
    master = _index(bridge)
    if master is None:
        raise InvalidArgument(f"bridge {bridge} does not exist")
    delete_link(host_name)  # left by a crash half way: start over
    with rtnl.Route() as route:
        route.add_veth(host_name, master, attachment.ifname, attachment.mac, netns, attachment.mtu)
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
    with rtnl.Route() as route:
        route.add_macvlan(attachment.ifname, attachment.mac, lower, mode, netns)
    in_netns(netns, lambda: _configure(attachment))


def remove_in_netns(netns: Path, ifname: str) -> None:
    """Delete `ifname` inside `netns` (a veth's host end goes with it)."""
    in_netns(netns, lambda: delete_link(ifname))


def _configure(attachment: Attachment) -> None:
    """Inside the namespace: the interface's address, up, and the default route."""
    index = socket.if_nametoindex(attachment.ifname)
    with rtnl.Route() as route:
        route.add_address(index, attachment.address)
        for address in attachment.link_local:
            route.add_address(index, address)
        route.set_up(index)
        if attachment.gateway is not None:
            route.replace_default_route(attachment.gateway, index)


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
