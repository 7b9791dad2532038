"""`NetworkClient`: sandboxes and networks, from the network service.

A sandbox is a container's network namespace with its endpoints and published ports, made
before the container starts and torn down after it exits; `remove_sandbox` of one that is gone
is not an error, so teardown can always be retried. Networks pass through the engine's API, so
`Network` mirrors `dockyard.network.v1.Network` field for field (a test holds it to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass
class EndpointSpec:
    network: str  # name or ID
    aliases: list[str] = field(default_factory=list)  # more names the network's DNS answers
    ipv4_address: str = ""  # "" = the next free address
    mac_address: str = ""  # "" = derived from the address
    links: list[str] = field(default_factory=list)  # "name:alias": for this endpoint's DNS only
    link_local_ips: list[str] = field(default_factory=list)  # more addresses on its interface


@dataclass
class PublishedPort:
    protocol: str  # "tcp" | "udp"
    container_port: int
    host_ip: str = ""  # "" = every host address
    host_port: int = 0  # 0 = a free port (in a request)


@dataclass
class SandboxSpec:
    container_id: str
    mode: str  # "bridge", a network, "none", "host", "container:<id>"
    hostname: str = ""
    name: str = ""  # the container's name, answered by the DNS
    endpoints: list[EndpointSpec] = field(default_factory=list)
    ports: list[PublishedPort] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)  # "name:ip"
    domainname: str = ""
    no_networks: bool = False  # a network mode, but loopback alone: the container left them all


@dataclass
class Endpoint:
    network_id: str
    network_name: str
    endpoint_id: str
    ip_address: str = ""
    prefix_len: int = 0
    gateway: str = ""
    mac_address: str = ""
    aliases: list[str] = field(default_factory=list)
    interface: str = ""  # inside the namespace: eth0, eth1, ...
    host_interface: str = ""  # the host end of the veth


@dataclass
class Sandbox:
    container_id: str
    mode: str = ""
    netns_path: str = ""  # "" for the host's namespace
    hosts_path: str = ""
    resolv_conf_path: str = ""
    hostname_path: str = ""
    endpoints: list[Endpoint] = field(default_factory=list)
    ports: list[PublishedPort] = field(default_factory=list)  # host ports as chosen


@dataclass
class NetworkSpec:
    name: str
    driver: str = ""  # "" = bridge
    subnet: str = ""
    gateway: str = ""
    ip_range: str = ""
    internal: bool = False
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    attachable: bool = False
    scope: str = ""  # "" = local
    ipam_driver: str = ""  # "" = default
    ipam_options: dict[str, str] = field(default_factory=dict)
    aux_addresses: dict[str, str] = field(default_factory=dict)
    config_only: bool = False
    config_from: str = ""
    ingress: bool = False
    enable_ipv6: bool = False


@dataclass
class NetworkContainer:
    container_id: str = ""
    name: str = ""
    endpoint_id: str = ""
    mac_address: str = ""
    ipv4_address: str = ""  # "10.200.0.2/24"


@dataclass
class Network:
    id: str
    name: str
    driver: str = "bridge"  # "bridge" | "macvlan" | "host" | "null"
    scope: str = "local"
    subnet: str = ""
    gateway: str = ""
    ip_range: str = ""
    internal: bool = False
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None
    interface: str = ""
    containers: list[NetworkContainer] = field(default_factory=list)
    gateway_unstated: bool = False  # a subnet given without its gateway (chosen for it)
    attachable: bool = False
    ipam_driver: str = "default"
    ipam_options: dict[str, str] = field(default_factory=dict)
    aux_addresses: dict[str, str] = field(default_factory=dict)
    config_only: bool = False
    config_from: str = ""


class NetworkClient(Protocol):
    async def create_sandbox(self, spec: SandboxSpec) -> Sandbox:
        """The container's sandbox (the existing one when asked again)."""
        ...

    async def remove_sandbox(self, container_id: str) -> None: ...

    async def list_sandboxes(self) -> list[Sandbox]: ...

    async def connect(self, container_id: str, endpoint: EndpointSpec) -> Sandbox:
        """Add an endpoint to a live sandbox."""
        ...

    async def disconnect(self, container_id: str, network: str, force: bool) -> Sandbox: ...

    async def update_hosts(self, container_id: str, name: str, address: str) -> None:
        """The sandbox's /etc/hosts entries first named `name` get `address` ("" = go)."""
        ...

    async def get_network(self, ref: str) -> Network:
        """The network a name, ID or unique ID prefix names; NotFound otherwise."""
        ...

    async def list_networks(self) -> list[Network]: ...

    async def create_network(self, spec: NetworkSpec) -> Network: ...

    async def remove_network(self, ref: str) -> None: ...

    async def prune_networks(self) -> list[str]:
        """Remove every user network without endpoints; their names."""
        ...
