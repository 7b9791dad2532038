"""Endpoints: a sandbox's attachments to networks, made and unmade.

An attachment is an address from the network's IPAM, a MAC derived from it (docker's 02:42
scheme), the next free ethN in the namespace, a veth into the network's bridge (or a macvlan
on its parent), and the names the network's DNS answers for it. The record comes first,
marked ready once the link is made, so a crash in between leaves a record that start-up
repair finds and undoes; on detach the record goes first and the link after, so a crash in
between leaves a link whose engine-tagged name no record owns, which repair deletes.

The published ports of a container are DNATed to its first bridge endpoint (by ifname):
`forwards` says where they go now.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv6Address,
    IPv6Interface,
    ip_address,
    ip_interface,
)
from pathlib import Path

from dockyard.api.errors import FailedPrecondition, InvalidArgument
from dockyard.services.network import ipam, nat
from dockyard.services.network.kernel import MTU_OPTION, Attachment, Links
from dockyard.services.network.names import NameTable
from dockyard.services.network.sandboxes import Sandbox, Sandboxes
from dockyard.services.network.store import Endpoint, Network, Store
from dockyard.services.network.tags import Tag

BUILTIN = ("host", "none")
"""The sandbox modes that are networks of their own, with an endpoint but no address."""


@dataclass
class EndpointRequest:
    network: str
    aliases: list[str] = field(default_factory=list)
    ipv4_address: str = ""
    mac_address: str = ""  # "" = derived from the address
    links: list[str] = field(default_factory=list)  # "name:alias", answered for this one only
    link_local_ips: list[str] = field(default_factory=list)  # more addresses on the interface


def link_local_addresses(values: list[str]) -> tuple[IPv4Interface | IPv6Interface, ...]:
    """--link-local-ip's addresses, as libnetwork gives them to the interface (IPv4 /16,
    IPv6 /64), refused in dockerd's and libnetwork's words when one is not link-local."""
    found: list[IPv4Address | IPv6Address | None] = []
    for value in values:
        try:
            found.append(ip_address(value))
        except ValueError:
            if value:
                raise InvalidArgument(
                    f"Invalid link-local IP address: [{' '.join(values)}]"
                ) from None
            found.append(None)
    for ip in found:
        if ip is None or not ip.is_link_local:
            raise InvalidArgument(f"invalid link local IP address: {ip or '<nil>'}")
    return tuple(ip_interface(f"{ip}/{16 if ip.version == 4 else 64}") for ip in found if ip)


class Endpoints:
    def __init__(
        self, store: Store, sandboxes: Sandboxes, links: Links, names: NameTable, tag: Tag
    ) -> None:
        self._store = store
        self._sandboxes = sandboxes
        self._links = links
        self._names = names
        self._tag = tag

    def of(self, container_id: str) -> list[tuple[Endpoint, Network]]:
        """`container_id`'s endpoints with their networks, by interface name."""
        return [(e, self._store.get(e.network_id)) for e in self._store.endpoints(container_id)]

    def builtin(self, sandbox: Sandbox) -> list[tuple[Endpoint, Network]]:
        """A host- or none-mode sandbox's endpoint on that network: no record and no link, an
        address-less endpoint as docker reports one (its ID derived from the container's)."""
        if sandbox.mode not in BUILTIN:
            return []
        network = self._store.find(sandbox.mode)
        if network is None:
            return []
        seed = f"{sandbox.container_id}/{network.id}".encode()
        endpoint_id = hashlib.sha256(seed).hexdigest()
        return [
            (Endpoint(sandbox.container_id, network.id, endpoint_id, "", "", [], "", ""), network)
        ]

    def attach(self, sandbox: Sandbox, network: Network, wanted: EndpointRequest) -> Endpoint:
        if network.config_only:
            raise FailedPrecondition("cannot create endpoint on configuration-only network")
        link_local = link_local_addresses(wanted.link_local_ips)
        mine = self._store.endpoints(sandbox.container_id)
        reserved = {*self._store.addresses(network.id), *network.aux_addresses.values()}
        address = ipam.allocate(
            network.net,
            ipam.range_for(network.net, network.ip_range),
            IPv4Address(network.gateway),
            {IPv4Address(a) for a in reserved},  # auxiliary addresses: never a container's
            wanted.ipv4_address,
        )
        endpoint = self._endpoint(sandbox.container_id, network, address, wanted, mine)
        if not self._store.add_endpoint(endpoint):
            raise InvalidArgument(f"address {address} is already in use on {network.name}")
        attachment = Attachment(
            ifname=endpoint.ifname,
            address=ipam.interface(address, network.net),
            mac=endpoint.mac,
            gateway=None if mine or network.internal else IPv4Address(network.gateway),
            link_local=link_local,
            mtu=int(network.options.get(MTU_OPTION, 0) or 0),
        )
        try:
            self._link(sandbox, network, endpoint, attachment)
        except BaseException:
            self._store.delete_endpoint(endpoint.endpoint_id)
            raise
        self._store.mark_ready(endpoint.endpoint_id)
        self.name(sandbox, endpoint, network)
        return endpoint

    def detach(self, sandbox: Sandbox | None, endpoint: Endpoint) -> None:
        self._store.delete_endpoint(endpoint.endpoint_id)
        self._names.remove(endpoint.container_id, endpoint.network_id)
        self.unlink(sandbox, endpoint)

    def unlink(self, sandbox: Sandbox | None, endpoint: Endpoint) -> None:
        """Delete the endpoint's link (idempotent; touches the kernel only, no record)."""
        if endpoint.host_ifname:
            self._links.delete_link(endpoint.host_ifname)
        elif sandbox is not None and sandbox.netns_path and self._sandboxes.alive(sandbox):
            self._links.remove_in_netns(Path(sandbox.netns_path), endpoint.ifname)

    def name(self, sandbox: Sandbox, endpoint: Endpoint, network: Network) -> None:
        """Let `network`'s DNS answer for `endpoint` (user networks only, as docker's)."""
        if network.has_dns:
            keys = {sandbox.spec.get("name", ""), sandbox.hostname, sandbox.container_id[:12]}
            keys |= set(endpoint.aliases)
            self._names.add(sandbox.container_id, network.id, keys, endpoint.address)
            self._names.link(sandbox.container_id, network.id, endpoint.links)

    def forwards(self, container_id: str) -> list[nat.Forward]:
        """Where `container_id`'s published ports go now (none without a bridge endpoint)."""
        first = next((e for e, n in self.of(container_id) if n.bridged), None)
        if first is None:
            return []
        return [
            nat.Forward(p.protocol, p.host_ip, p.host_port, first.address, p.container_port)
            for p in self._store.ports(container_id)
        ]

    def _endpoint(
        self,
        container_id: str,
        network: Network,
        address: IPv4Address,
        wanted: EndpointRequest,
        mine: list[Endpoint],
    ) -> Endpoint:
        endpoint_id = secrets.token_hex(32)
        taken = {e.ifname for e in mine}
        ifname = next(f"eth{i}" for i in range(len(mine) + 1) if f"eth{i}" not in taken)
        return Endpoint(
            container_id=container_id,
            network_id=network.id,
            endpoint_id=endpoint_id,
            address=str(address),
            mac=wanted.mac_address or ipam.mac_for(address),
            aliases=list(wanted.aliases),
            links=list(wanted.links),
            ifname=ifname,
            host_ifname=self._tag.veth(endpoint_id) if network.driver == "bridge" else "",
        )

    def _link(
        self, sandbox: Sandbox, network: Network, endpoint: Endpoint, attachment: Attachment
    ) -> None:
        netns = Path(sandbox.netns_path)
        if network.driver == "bridge":
            self._links.add_veth(netns, network.interface, endpoint.host_ifname, attachment)
        else:
            parent, mode = network.options["parent"], network.options.get("macvlan_mode", "bridge")
            self._links.add_macvlan(netns, parent, mode, attachment)
