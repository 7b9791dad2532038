"""Our netlink messages against the real kernel (links.py, rtnl.py, nfnl.py, netlink.py).

Everything happens in a private network namespace (the test's "host", pinned at a temporary
file) and in a second one standing for a container's, so nothing of the machine's own links,
routes or tables is touched; removing the two namespaces removes every link made in them,
whatever a test left. `ip` and `nft` (run in those namespaces with nsenter) are the witnesses.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any, TypeVar

import pytest
from dockyard.services.network import links, netlink, nfnl, nlwire, nsfs, rtnl
from dockyard.services.network.kernel import Attachment

pytestmark = pytest.mark.integration
T = TypeVar("T")
GATEWAY = IPv4Interface("10.251.7.1/24")
MAC = "02:42:0a:fb:07:02"


@dataclass
class Namespaces:
    host: Path  # stands for the host's namespace
    container: Path

    def run(self, work: Callable[[], T]) -> T:
        """`work`'s result, computed in a thread inside the test's host namespace."""
        return links.in_netns(self.host, work)

    def ip(self, netns: Path, *args: str) -> Any:
        """`ip -j ARGS` run in `netns`, its JSON parsed."""
        done = subprocess.run(
            ["nsenter", f"--net={netns}", "ip", "-j", "-d", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout or "[]")


@pytest.fixture
def ns(tmp_path: Path) -> Iterator[Namespaces]:
    made = Namespaces(tmp_path / "host", tmp_path / "container")
    try:
        nsfs.create(made.host)
        nsfs.create(made.container)
        yield made
    finally:
        nsfs.remove(made.container)
        nsfs.remove(made.host)


def attachment(gateway: IPv4Address | None = GATEWAY.ip) -> Attachment:
    return Attachment("eth0", IPv4Interface("10.251.7.2/24"), MAC, gateway)


def inet(link: Any) -> list[tuple[str, int]]:
    """The IPv4 addresses `ip -j addr` shows of a link."""
    return [(a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"]


def test_a_bridge_is_made_up_with_its_gateway_once(ns: Namespaces) -> None:
    ns.run(lambda: links.ensure_bridge("nlt0", GATEWAY))
    ns.run(lambda: links.ensure_bridge("nlt0", GATEWAY))  # again: nothing changes, no EEXIST
    (bridge,) = ns.ip(ns.host, "addr", "show", "dev", "nlt0")
    assert bridge["linkinfo"]["info_kind"] == "bridge"
    assert "UP" in bridge["flags"]
    assert inet(bridge) == [("10.251.7.1", 24)]
    assert ns.run(lambda: links.links_named("nlt")) == ["nlt0"]
    assert IPv4Network("10.251.7.0/24") in ns.run(links.host_routes)


def test_releasing_a_bridge_not_ours_takes_only_our_address(ns: Namespaces) -> None:
    ns.run(lambda: links.ensure_bridge("nlt0", GATEWAY))
    ns.run(lambda: links.release_bridge("nlt0", GATEWAY, delete=False))
    ns.run(lambda: links.release_bridge("nlt0", GATEWAY, delete=False))  # EADDRNOTAVAIL: fine
    (bridge,) = ns.ip(ns.host, "addr", "show", "dev", "nlt0")
    assert inet(bridge) == []
    ns.run(lambda: links.release_bridge("nlt0", GATEWAY, delete=True))
    assert ns.run(lambda: links.links_named("nlt")) == []


def test_a_veth_joins_the_bridge_and_is_configured_in_the_container(ns: Namespaces) -> None:
    ns.run(lambda: links.ensure_bridge("nlt0", GATEWAY))
    ns.run(lambda: links.add_veth(ns.container, "nlt0", "nlv0", attachment()))
    assert ns.run(lambda: links.ports_of("nlt0")) == ["nlv0"]
    (host_end,) = ns.ip(ns.host, "link", "show", "dev", "nlv0")
    assert host_end["master"] == "nlt0" and "UP" in host_end["flags"]
    (eth0,) = ns.ip(ns.container, "addr", "show", "dev", "eth0")
    assert eth0["address"] == MAC and "UP" in eth0["flags"]
    assert inet(eth0) == [("10.251.7.2", 24)]
    (default,) = ns.ip(ns.container, "route", "show", "default")
    assert default["gateway"] == "10.251.7.1" and default["dev"] == "eth0"
    links.remove_in_netns(ns.container, "eth0")
    assert ns.run(lambda: links.ports_of("nlt0")) == []  # the host end went with it


def test_a_veth_left_by_a_crash_is_made_again(ns: Namespaces) -> None:
    ns.run(lambda: links.ensure_bridge("nlt0", GATEWAY))
    ns.run(lambda: links.add_veth(ns.container, "nlt0", "nlv0", attachment()))
    links.remove_in_netns(ns.container, "eth0")
    ns.run(lambda: links.add_veth(ns.container, "nlt0", "nlv0", attachment(gateway=None)))
    assert ns.ip(ns.container, "route", "show", "default") == []
    assert ns.run(lambda: links.ports_of("nlt0")) == ["nlv0"]


def test_a_veth_into_a_missing_bridge_is_refused(ns: Namespaces) -> None:
    with pytest.raises(Exception, match="bridge nothere does not exist"):
        ns.run(lambda: links.add_veth(ns.container, "nothere", "nlv0", attachment()))


def test_a_macvlan_is_made_in_the_container_with_its_mode(ns: Namespaces) -> None:
    ns.run(lambda: links.ensure_bridge("nlt0", GATEWAY))  # an ethernet link to stand on
    ns.run(lambda: links.add_macvlan(ns.container, "nlt0", "private", attachment()))
    (eth0,) = ns.ip(ns.container, "addr", "show", "dev", "eth0")
    assert eth0["linkinfo"]["info_kind"] == "macvlan"
    assert eth0["linkinfo"]["info_data"]["mode"] == "private"
    assert eth0["address"] == MAC and "UP" in eth0["flags"]
    assert inet(eth0) == [("10.251.7.2", 24)]
    links.remove_in_netns(ns.container, "eth0")
    assert [link["ifname"] for link in ns.ip(ns.container, "link", "show")] == ["lo"]


def test_the_kernels_refusals_carry_their_errno(ns: Namespaces) -> None:
    def refusals() -> list[int]:
        codes = []
        with rtnl.Route() as route:
            route.add_bridge("nlt0")
            for attempt in (
                lambda: route.add_bridge("nlt0"),
                lambda: route.delete_link(99999),
                lambda: route.delete_address(1, IPv4Interface("10.251.9.9/24")),
            ):
                try:
                    attempt()
                except netlink.NetlinkError as err:
                    codes.append(err.code)
            route.set_up(socket.if_nametoindex("nlt0"))  # the socket still answers
        return codes

    assert ns.run(refusals) == [errno.EEXIST, errno.ENODEV, errno.EADDRNOTAVAIL]
    ns.run(lambda: links.delete_link("nothere"))  # none there is fine


def test_a_dump_of_many_datagrams_is_read_whole(ns: Namespaces) -> None:
    names = [f"nlt{i}" for i in range(80)]  # ~1.5 KiB each: several datagrams of a dump

    def make_and_list() -> list[str]:
        with rtnl.Route() as route:
            for name in names:
                route.add_bridge(name)
            first = route.links()
            second = route.links()  # the next request on the same socket
        assert first == second
        return [link.name for link in first]

    listed = ns.run(make_and_list)
    assert sorted(n for n in listed if n.startswith("nlt")) == sorted(names)


def test_replies_to_an_earlier_request_are_skipped(ns: Namespaces) -> None:
    def stale_then_fresh() -> list[str]:
        with netlink.Netlink(netlink.NETLINK_ROUTE) as nl:
            lo_up = rtnl.ifinfo(socket.if_nametoindex("lo"), up=True)
            nl._send(rtnl.RTM_NEWLINK, nlwire.NLM_F_REQUEST | nlwire.NLM_F_ACK, lo_up)  # unread
            return [rtnl.link_of(body).name for body in nl.dump(rtnl.RTM_GETLINK, rtnl.ifinfo())]

    assert ns.run(stale_then_fresh) == ["lo"]


def test_nf_tables_names_are_read_by_family(ns: Namespaces) -> None:
    assert ns.run(lambda: nfnl.table_names(socket.AF_INET)) == []
    nft = ["nsenter", f"--net={ns.host}", "nft"]
    subprocess.run([*nft, "add table ip filter; add table inet nlt"], check=True)
    assert ns.run(lambda: nfnl.table_names(socket.AF_INET)) == ["filter"]
    assert ns.run(lambda: nfnl.table_names(1)) == ["nlt"]  # NFPROTO_INET


def test_no_descriptor_is_left_open(ns: Namespaces) -> None:
    def everything() -> None:
        links.ensure_bridge("nlt0", GATEWAY)
        links.add_veth(ns.container, "nlt0", "nlv0", attachment())
        links.ports_of("nlt0"), links.host_routes(), nfnl.table_names(socket.AF_INET)
        links.delete_link("nlv0")
        with pytest.raises(netlink.NetlinkError):
            links.add_veth(ns.container, "nlt0", "nlv1", Attachment("lo", GATEWAY, MAC, None))

    before = sorted(os.listdir("/proc/self/fd"))
    ns.run(everything)
    assert sorted(os.listdir("/proc/self/fd")) == before
