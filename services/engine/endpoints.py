"""A container's endpoints and published ports: what its sandbox is asked for, and what the
sandbox got, recorded in its NetworkSettings (docker's inspect shape).

Endpoints are kept in the record while the container is stopped (they name the networks to
join at the next start); their addresses are cleared at each exit and filled at each start.
"""

from __future__ import annotations

from dockyard.api import errors, macaddr
from dockyard.services.engine.clients.networks import (
    Endpoint,
    EndpointSpec,
    PublishedPort,
    Sandbox,
    SandboxSpec,
)
from dockyard.services.engine.model import (
    Container,
    EndpointSettings,
    HostConfig,
    PortBinding,
    network_of,
)


def sandbox_spec(container: Container, link_hosts: list[str] | None = None) -> SandboxSpec:
    """What the network service is asked to set up for `container`; `link_hosts`: its legacy
    links' /etc/hosts entries, after --add-host's (docker's order)."""
    host = container.host_config
    mac = macaddr.canonical(container.config.mac_address) or ""  # the first network's (docker's)
    return SandboxSpec(
        container_id=container.id,
        mode=network_of(host.network_mode),
        hostname=container.config.hostname,
        name=container.name,
        endpoints=[
            EndpointSpec(
                e.network,
                list(e.aliases),
                e.ipv4_address,
                mac if i == 0 else "",
                list(e.links),
                list(e.link_local_ips),
            )
            for i, e in enumerate(container.network_settings.networks)
        ],
        ports=[_port(b) for b in published(host, container.config.exposed_ports)],
        dns=list(host.dns),
        dns_search=list(host.dns_search),
        dns_options=list(host.dns_options),
        extra_hosts=list(host.extra_hosts) + (link_hosts or []),
        domainname=container.config.domainname,
        no_networks=not container.network_settings.networks,
    )


def _port(binding: PortBinding) -> PublishedPort:
    port, protocol = parse_port(binding)
    return PublishedPort(protocol, port, binding.host_ip, int(binding.host_port or 0))


def parse_port(binding: PortBinding) -> tuple[int, str]:
    """(port, protocol) of a binding's "80/tcp"; its host port checked too."""
    text, _, protocol = binding.container_port.partition("/")
    protocol = protocol or "tcp"
    if protocol not in ("tcp", "udp"):
        raise errors.InvalidArgument(
            f"invalid protocol {protocol!r} in port {binding.container_port}"
        )
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise errors.InvalidArgument(f"invalid container port {binding.container_port!r}")
    if binding.host_port and (
        not binding.host_port.isdigit() or not 0 <= int(binding.host_port) < 65536
    ):
        raise errors.InvalidArgument(f"invalid host port {binding.host_port!r}")
    return int(text), protocol


def published(host: HostConfig, exposed: list[str]) -> list[PortBinding]:
    """The bindings to publish: -p's, and with -P every exposed port not bound yet."""
    bindings = list(host.port_bindings)
    if host.publish_all_ports:
        bound = {_port_key(b.container_port) for b in bindings}
        bindings += [PortBinding(container_port=p) for p in exposed if _port_key(p) not in bound]
    return bindings


def _port_key(port: str) -> str:
    return port if "/" in port else f"{port}/tcp"


def record_sandbox(container: Container, sandbox: Sandbox) -> None:
    """The namespace, files, addresses and ports the sandbox got, into the record."""
    container.sandbox_key = sandbox.netns_path
    container.hosts_path = sandbox.hosts_path
    container.resolv_conf_path = sandbox.resolv_conf_path
    container.hostname_path = sandbox.hostname_path
    by_name = {e.network_name: e for e in sandbox.endpoints}
    by_id = {e.network_id: e for e in sandbox.endpoints}
    for settings in container.network_settings.networks:
        got = by_name.get(settings.network) or by_id.get(settings.network)
        if got is None:
            got = next((e for i, e in by_id.items() if i.startswith(settings.network)), None)
        if got is not None:
            fill_endpoint(settings, got)
    container.network_settings.ports = [
        PortBinding(f"{p.container_port}/{p.protocol}", p.host_ip or "0.0.0.0", str(p.host_port))
        for p in sandbox.ports
    ]


def ipv6_refusal(network_name: str) -> errors.InvalidArgument:
    """dockerd's refusal of an IPv6 address asked for (--ip6) on a network without an IPv6
    subnet, which every network here is (validateNetworkingConfig, updateNetworkConfig)."""
    return errors.InvalidArgument(
        "user specified IP address is supported on user defined networks only"
        if network_name in ("bridge", "host", "none")
        else "user specified IP address is supported only when connecting to networks "
        "with user configured subnets"
    )


def fill_endpoint(settings: EndpointSettings, got: Endpoint) -> None:
    """What the network service gave an endpoint, into the container's settings for it."""
    settings.network_id, settings.endpoint_id = got.network_id, got.endpoint_id
    settings.gateway, settings.ip_address = got.gateway, got.ip_address
    settings.ip_prefix_len, settings.mac_address = got.prefix_len, got.mac_address


def clear_endpoints(container: Container) -> None:
    """Forget what the last sandbox gave (it is gone); keep which networks to join."""
    for settings in container.network_settings.networks:
        settings.endpoint_id = settings.gateway = settings.ip_address = settings.mac_address = ""
        settings.ip_prefix_len = 0
    container.network_settings.ports = []
