"""Address management: subnets cut from pools, addresses handed out from a subnet. Pure.

A subnet may not overlap another network or a route the host already has (the host's own
routes are how a clash with docker0, a VPN or the LAN shows). Inside a subnet, the network
address, the broadcast address and the gateway are never handed out; `used` is what the
store holds, so an address in use is never given twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_address, ip_network

from dockyard.api.errors import InvalidArgument, ResourceExhausted

# The default bridge's subnet when the daemon config names no `bip`: the first free of ten
# /16s, then of the /20s of 10.176.0.0/12 (many engines on one host each need their own).
BRIDGE_POOLS = (*((f"10.{n}.0.0/16", 16) for n in range(199, 189, -1)), ("10.176.0.0/12", 20))


def parse_subnet(text: str) -> IPv4Network:
    try:
        network = ip_network(text, strict=False)
    except ValueError:
        raise InvalidArgument(f"invalid subnet {text!r}") from None
    if not isinstance(network, IPv4Network):
        raise InvalidArgument(f"subnet {text}: only IPv4 is supported")
    if network.prefixlen > 30:
        raise InvalidArgument(f"subnet {text} is too small (at most /30)")
    return network


def parse_address(text: str, what: str = "address") -> IPv4Address:
    try:
        address = ip_address(text)
    except ValueError:
        raise InvalidArgument(f"invalid {what} {text!r}") from None
    if not isinstance(address, IPv4Address):
        raise InvalidArgument(f"{what} {text}: only IPv4 is supported")
    return address


def check_free(subnet: IPv4Network, taken: Iterable[tuple[str, IPv4Network]]) -> None:
    for owner, other in taken:
        if subnet.overlaps(other):
            raise InvalidArgument(f"subnet {subnet} overlaps {other} ({owner})")


def pick_subnet(
    pools: Iterable[tuple[str, int]], taken: Iterable[tuple[str, IPv4Network]]
) -> IPv4Network:
    """The first subnet of the pools that overlaps nothing taken."""
    nets = [net for _, net in taken]
    for base, size in pools:
        pool = parse_subnet(base)
        if size < pool.prefixlen or size > 30:
            raise InvalidArgument(f"address pool {base}: size /{size} does not fit")
        for candidate in pool.subnets(new_prefix=size):
            if not any(candidate.overlaps(net) for net in nets):
                return candidate
    raise ResourceExhausted("all address pools are in use: no subnet left for a new network")


def gateway_for(subnet: IPv4Network, gateway: str) -> IPv4Address:
    if not gateway:
        return subnet.network_address + 1
    address = parse_address(gateway, "gateway")
    if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
        raise InvalidArgument(f"gateway {gateway} is not a host address of subnet {subnet}")
    return address


def range_for(subnet: IPv4Network, ip_range: str) -> IPv4Network:
    if not ip_range:
        return subnet
    network = parse_subnet(ip_range)
    if not network.subnet_of(subnet):
        raise InvalidArgument(f"ip-range {ip_range} is not inside subnet {subnet}")
    return network


def allocate(
    subnet: IPv4Network,
    ip_range: IPv4Network,
    gateway: IPv4Address,
    used: set[IPv4Address],
    wanted: str = "",
) -> IPv4Address:
    """`wanted` (which must be free and in the subnet) or the first free address of the range."""
    reserved = {subnet.network_address, subnet.broadcast_address, gateway}
    if wanted:
        address = parse_address(wanted, "IP address")
        if address not in subnet or address in reserved:
            raise InvalidArgument(f"address {wanted} is not a usable address of {subnet}")
        if address in used:
            raise InvalidArgument(f"address {wanted} is already in use on the network")
        return address
    for address in ip_range.hosts() if ip_range.prefixlen < 31 else ip_range:
        if address not in used and address not in reserved:
            return address
    raise ResourceExhausted(f"no address left in {ip_range}")


def interface(address: IPv4Address, subnet: IPv4Network) -> IPv4Interface:
    return IPv4Interface(f"{address}/{subnet.prefixlen}")


def mac_for(address: IPv4Address) -> str:
    """Docker's scheme: 02:42 and the four bytes of the address (locally administered)."""
    return "02:42:" + ":".join(f"{b:02x}" for b in address.packed)
