from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest
from dockyard.api.errors import InvalidArgument, ResourceExhausted
from dockyard.services.network import ipam


def test_the_first_free_subnet_of_the_pools() -> None:
    taken = [("a host route", IPv4Network("10.200.0.0/24")), ("net", IPv4Network("10.200.1.0/24"))]
    assert ipam.pick_subnet([("10.200.0.0/16", 24)], taken) == IPv4Network("10.200.2.0/24")


def test_pools_run_out() -> None:
    taken = [("x", IPv4Network("10.200.0.0/23"))]
    with pytest.raises(ResourceExhausted):
        ipam.pick_subnet([("10.200.0.0/23", 24)], taken)


def test_overlap_names_what_it_overlaps() -> None:
    with pytest.raises(InvalidArgument, match=r"overlaps 10.0.0.0/8 \(a host route\)"):
        ipam.check_free(IPv4Network("10.1.0.0/16"), [("a host route", IPv4Network("10.0.0.0/8"))])


def test_gateway_must_be_a_host_address_of_the_subnet() -> None:
    subnet = IPv4Network("10.9.0.0/24")
    assert ipam.gateway_for(subnet, "") == IPv4Address("10.9.0.1")
    assert ipam.gateway_for(subnet, "10.9.0.254") == IPv4Address("10.9.0.254")
    for bad in ("10.9.1.1", "10.9.0.0", "10.9.0.255"):
        with pytest.raises(InvalidArgument, match="not a host address"):
            ipam.gateway_for(subnet, bad)


def test_addresses_skip_network_broadcast_gateway_and_used() -> None:
    subnet = IPv4Network("10.9.0.0/29")
    gateway = IPv4Address("10.9.0.1")
    used = {IPv4Address("10.9.0.2")}
    assert ipam.allocate(subnet, subnet, gateway, used) == IPv4Address("10.9.0.3")
    full = {subnet.network_address + i for i in range(2, 7)}
    with pytest.raises(ResourceExhausted):
        ipam.allocate(subnet, subnet, gateway, full)


def test_a_wanted_address_is_free_and_inside() -> None:
    subnet = IPv4Network("10.9.0.0/24")
    gateway = IPv4Address("10.9.0.1")
    assert ipam.allocate(subnet, subnet, gateway, set(), "10.9.0.50") == IPv4Address("10.9.0.50")
    with pytest.raises(InvalidArgument, match="already in use"):
        ipam.allocate(subnet, subnet, gateway, {IPv4Address("10.9.0.50")}, "10.9.0.50")
    for bad in ("10.9.1.5", "10.9.0.1", "nonsense"):
        with pytest.raises(InvalidArgument):
            ipam.allocate(subnet, subnet, gateway, set(), bad)


def test_ip_range_inside_the_subnet_and_used_first() -> None:
    subnet = IPv4Network("10.9.0.0/24")
    allowed = ipam.range_for(subnet, "10.9.0.128/25")
    assert ipam.allocate(subnet, allowed, IPv4Address("10.9.0.1"), set()) == IPv4Address(
        "10.9.0.129"
    )
    with pytest.raises(InvalidArgument, match="not inside"):
        ipam.range_for(subnet, "10.8.0.0/25")


def test_mac_follows_dockers_scheme() -> None:
    assert ipam.mac_for(IPv4Address("10.199.0.2")) == "02:42:0a:c7:00:02"
