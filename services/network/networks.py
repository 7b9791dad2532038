"""Networks and endpoints: the network service's model, kept in SQLite and made real.

    networks   id, name, driver (bridge | macvlan | host | null), subnet, gateway, ip_range,
               internal, options, labels, created, interface (the Linux bridge)
    endpoints  one per (container, network): address (UNIQUE per network: an address in use is
               never handed out twice), MAC, aliases, interface in the namespace, host veth end
    ports      published ports, UNIQUE per (protocol, host port, host address)

Every change is written to the store first and then made real (bridge, veth or macvlan, the
nft table rewritten whole, a socket holding each published host port so that nothing else can
take it), and undone in reverse when a later step fails. `startup` repairs whatever a crash
left: namespaces without records and records without namespaces, veths nobody owns, bridges
of networks that are gone, missing bridges of networks that exist, and the rules.

Names are engine-scoped by a tag kept in <root>/network/tag, so two engines on one host never
touch each other's links or rules: user bridges are `dy<tag>-<id>`, host veth ends `v<tag>…`,
the nft table `dockyard_<tag>`.
"""

from __future__ import annotations

import errno
import json
import secrets
import socket
import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, Protocol

from dockyard.api.config import DaemonConfig
from dockyard.api.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from dockyard.services.network import ipam, nat
from dockyard.services.network.links import Attachment
from dockyard.services.network.sandboxes import (
    HOSTS_HEADER,
    Sandbox,
    Sandboxes,
    container_resolv_conf,
    host_files,
    nameservers,
    read,
    write_files,
)

PREDEFINED = ("bridge", "host", "none")
DNS_ADDRESS = "127.0.0.11"

SCHEMA = """
CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL,
    subnet TEXT NOT NULL,
    gateway TEXT NOT NULL,
    ip_range TEXT NOT NULL,
    internal INTEGER NOT NULL,
    options TEXT NOT NULL,
    labels TEXT NOT NULL,
    created TEXT NOT NULL,
    interface TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    container_id TEXT NOT NULL,
    network_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    address TEXT NOT NULL,
    mac TEXT NOT NULL,
    aliases TEXT NOT NULL,
    ifname TEXT NOT NULL,
    host_ifname TEXT NOT NULL,
    PRIMARY KEY (container_id, network_id),
    UNIQUE (network_id, address)
);
CREATE TABLE IF NOT EXISTS ports (
    container_id TEXT NOT NULL,
    protocol TEXT NOT NULL,
    host_ip TEXT NOT NULL,
    host_port INTEGER NOT NULL,
    container_port INTEGER NOT NULL,
    PRIMARY KEY (protocol, host_ip, host_port)
);
"""


class Links(Protocol):
    """links.py in production."""

    def ensure_bridge(self, name: str, gateway: Any) -> None: ...
    def allow_localnet(self, name: str) -> None: ...
    def release_bridge(self, name: str, gateway: Any, delete: bool) -> None: ...
    def delete_link(self, name: str) -> None: ...
    def ports_of(self, bridge: str) -> list[str]: ...
    def links_named(self, prefix: str) -> list[str]: ...
    def host_routes(self) -> list[IPv4Network]: ...
    def add_veth(
        self, netns: Path, bridge: str, host_name: str, attachment: Attachment
    ) -> None: ...
    def add_macvlan(self, netns: Path, parent: str, mode: str, attachment: Attachment) -> None: ...
    def remove_in_netns(self, netns: Path, ifname: str) -> None: ...


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    driver: str
    subnet: str
    gateway: str
    ip_range: str
    internal: bool
    options: dict[str, str]
    labels: dict[str, str]
    created: datetime
    interface: str

    @property
    def net(self) -> IPv4Network:
        return IPv4Network(self.subnet)

    @property
    def addressed(self) -> bool:
        return self.driver in ("bridge", "macvlan")

    @property
    def has_dns(self) -> bool:
        """User-defined networks answer container names; the default bridge does not (docker)."""
        return self.addressed and self.name != "bridge"


@dataclass(frozen=True)
class Endpoint:
    container_id: str
    network_id: str
    endpoint_id: str
    address: str
    mac: str
    aliases: list[str]
    ifname: str
    host_ifname: str


@dataclass(frozen=True)
class Port:
    container_id: str
    protocol: str
    host_ip: str
    host_port: int
    container_port: int


@dataclass
class EndpointRequest:
    network: str
    aliases: list[str] = field(default_factory=list)
    ipv4_address: str = ""


@dataclass
class SandboxRequest:
    container_id: str
    mode: str
    hostname: str = ""
    name: str = ""
    endpoints: list[EndpointRequest] = field(default_factory=list)
    ports: list[Port] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    domainname: str = ""


class Manager:
    def __init__(
        self,
        data_dir: Path,
        sandboxes_factory: Any,
        links: Links,
        config: DaemonConfig,
        apply_rules: Callable[[str], None] = nat.apply,
        open_forward: Callable[[str, list[str]], None] = nat.open_forward,
        delete_rules: Callable[[str], None] = nat.delete,
    ) -> None:
        self._apply_rules = apply_rules  # an nft script (nat.apply; a recorder in unit tests)
        self._open_forward = open_forward  # past a FORWARD DROP of docker's (nat.open_forward)
        self._delete_rules = delete_rules  # the whole table (nat.delete)
        self._db = sqlite3.connect(
            data_dir / "network.db", isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self.sandboxes: Sandboxes = sandboxes_factory(self._db)
        self._links = links
        self._config = config
        self.tag = _tag(data_dir / "tag")
        self.table = f"dockyard_{self.tag}"
        self._held: dict[tuple[str, str, int], socket.socket] = {}
        self.names: dict[str, dict[str, list[str]]] = {}  # network id → name → addresses

    def close(self) -> None:
        for sock in self._held.values():
            sock.close()
        self._db.close()

    # -- start-up -------------------------------------------------------------------------

    def startup(self) -> None:
        """Predefined networks, then repair (see the module docstring), then the rules."""
        self._predefined()
        for sandbox in self.sandboxes.list():
            if not self.sandboxes.whole(sandbox):
                self._teardown(sandbox.container_id, apply=False)
        live = {s.container_id for s in self.sandboxes.list()}
        with self._db:
            for table in ("endpoints", "ports"):
                for (cid,) in self._db.execute(f"SELECT DISTINCT container_id FROM {table}"):
                    if cid not in live:
                        self._db.execute(f"DELETE FROM {table} WHERE container_id = ?", (cid,))
        self.sandboxes.orphans()
        owned = {e.host_ifname for e in self._endpoints()}
        bridges = {n.interface for n in self.networks() if n.driver == "bridge"}
        for network in self.networks():
            if network.driver == "bridge":
                self._links.ensure_bridge(
                    network.interface, ipam.interface(IPv4Address(network.gateway), network.net)
                )
                for link in self._links.ports_of(network.interface):
                    if link not in owned:
                        self._links.delete_link(link)
        for name in self._links.links_named(f"dy{self.tag}-"):
            if name not in bridges:
                self._links.delete_link(name)
        for name in self._links.links_named(f"v{self.tag}"):
            if name not in owned:
                self._links.delete_link(name)
        for port in self._ports():
            self._hold(port.protocol, port.host_ip, port.host_port)
        self._apply()
        for name in bridges:
            self._links.allow_localnet(name)
        self._refresh_names()  # the embedded DNS answers from it: a restart must not empty it

    def shutdown(self) -> None:
        """At a clean stop with no container on any network: take away what start-up makes.

        Nothing then needs the table (the loopback guard included), the FORWARD exceptions,
        the bridges' addresses or route_localnet; start-up makes them again. With containers
        on networks (a stop that keeps them running: live restore) everything stays, and the
        kernel keeps forwarding their ports with no service running. Bridges named by the
        engine go; one named by the user (`bridge`, or a network's bridge.name option) stays,
        without the engine's address and route_localnet: it may be the user's own."""
        if self._endpoints():
            return
        bridges = [n for n in self.networks() if n.driver == "bridge" and n.interface]
        self._open_forward(self.tag, [])
        self._delete_rules(self.table)
        for network in bridges:
            gateway = ipam.interface(IPv4Address(network.gateway), network.net)
            owned = network.interface.startswith(f"dy{self.tag}-")
            self._links.release_bridge(network.interface, gateway, delete=owned)

    def _predefined(self) -> None:
        if self._find("host") is None:
            self._insert(_new_network(name="host", driver="host"))
        if self._find("none") is None:
            self._insert(_new_network(name="none", driver="null"))
        if self._find("bridge") is None:
            if self._config.bip:
                gateway = ipam.parse_address(self._config.bip.split("/")[0], "bip")
                subnet = ipam.parse_subnet(self._config.bip)
            else:
                subnet = ipam.pick_subnet(
                    [(str(c), c.prefixlen) for c in ipam.BRIDGE_CANDIDATES], self._taken()
                )
                gateway = subnet.network_address + 1
            network = _new_network(
                name="bridge",
                driver="bridge",
                subnet=str(subnet),
                gateway=str(gateway),
                interface=self._config.bridge,
            )
            self._insert(network)

    # -- networks ---------------------------------------------------------------------------

    def create(
        self,
        name: str,
        driver: str,
        subnet: str,
        gateway: str,
        ip_range: str,
        internal: bool,
        options: dict[str, str],
        labels: dict[str, str],
    ) -> Network:
        driver = driver or "bridge"
        if not name or "/" in name or name.strip() != name:
            raise InvalidArgument(f"invalid network name {name!r}")
        if self._find(name) is not None:
            raise AlreadyExists(f"network with name {name} already exists")
        if driver not in ("bridge", "macvlan"):
            raise InvalidArgument(f"network driver {driver!r} is not supported (bridge, macvlan)")
        known = {"bridge": set(), "macvlan": {"parent", "macvlan_mode"}}[driver]
        unknown = sorted(set(options) - known - {"com.docker.network.bridge.name"})
        if unknown:
            raise InvalidArgument(f"unknown option {unknown[0]!r} for the {driver} driver")
        if driver == "macvlan" and not options.get("parent"):
            raise InvalidArgument("a macvlan network needs its parent interface: -o parent=IF")
        if options.get("macvlan_mode", "bridge") not in ("bridge", "private", "vepa", "passthru"):
            raise InvalidArgument(f"invalid macvlan mode {options['macvlan_mode']!r}")
        taken = self._taken(host_routes=driver == "bridge")
        if subnet:
            net = ipam.parse_subnet(subnet)
            ipam.check_free(net, taken)
        else:
            if gateway or ip_range:
                raise InvalidArgument("--gateway and --ip-range need --subnet")
            net = ipam.pick_subnet([(p.base, p.size) for p in self._config.address_pools], taken)
        gw = ipam.gateway_for(net, gateway)
        ipam.range_for(net, ip_range)
        network_id = secrets.token_hex(32)
        interface = ""
        if driver == "bridge":
            interface = (
                options.get("com.docker.network.bridge.name") or f"dy{self.tag}-{network_id[:8]}"
            )
        network = _new_network(
            id=network_id,
            name=name,
            driver=driver,
            subnet=str(net),
            gateway=str(gw),
            ip_range=ip_range,
            internal=internal,
            options=dict(options),
            labels=dict(labels),
            interface=interface,
        )
        self._insert(network)
        try:
            if driver == "bridge":
                self._links.ensure_bridge(interface, ipam.interface(gw, net))
                self._apply()
                self._links.allow_localnet(interface)
        except BaseException:
            self._drop_network(network)
            raise
        return network

    def remove(self, ref: str) -> None:
        network = self.get(ref)
        if network.name in PREDEFINED:
            raise FailedPrecondition(
                f"{network.name} is a pre-defined network and cannot be removed"
            )
        if self._endpoints(network_id=network.id):
            raise FailedPrecondition(
                f"error while removing network: network {network.name} id {network.id} "
                "has active endpoints"
            )
        self._drop_network(network)

    def prune(self) -> list[str]:
        removed = []
        for network in self.networks():
            if network.name not in PREDEFINED and not self._endpoints(network_id=network.id):
                self._drop_network(network)
                removed.append(network.name)
        return removed

    def get(self, ref: str) -> Network:
        found = self._find(ref)
        if found is None:
            rows = (
                self._db.execute(
                    "SELECT * FROM networks WHERE id LIKE ? ESCAPE '\\'", (_escape(ref) + "%",)
                ).fetchall()
                if ref
                else []
            )
            if len(rows) > 1:
                raise InvalidArgument(f"network {ref} is ambiguous ({len(rows)} matches)")
            if not rows:
                raise NotFound(f"network {ref} not found")
            found = _network(rows[0])
        return found

    def networks(self) -> list[Network]:
        return [_network(r) for r in self._db.execute("SELECT * FROM networks ORDER BY created")]

    def members(self, network: Network) -> list[tuple[Endpoint, str]]:
        """(endpoint, container name) of each container on `network`."""
        result = []
        for endpoint in self._endpoints(network_id=network.id):
            try:
                name = self.sandboxes.get(endpoint.container_id).spec.get("name", "")
            except NotFound:
                name = ""
            result.append((endpoint, name))
        return result

    def _drop_network(self, network: Network) -> None:
        with self._db:
            self._db.execute("DELETE FROM networks WHERE id = ?", (network.id,))
        if network.driver == "bridge" and network.interface:
            self._apply()
            self._links.delete_link(network.interface)

    # -- sandboxes --------------------------------------------------------------------------

    def create_sandbox(self, request: SandboxRequest) -> Sandbox:
        try:
            existing = self.sandboxes.get(request.container_id)
        except NotFound:
            pass
        else:
            if self.sandboxes.whole(existing):
                return existing
            self._teardown(request.container_id)  # half made, or its namespace is gone
        mode, shared = request.mode, None
        networks: list[tuple[Network, EndpointRequest]] = []
        if mode.startswith("container:"):
            shared = self.sandboxes.get(mode.removeprefix("container:"))
            if shared.shares:
                shared = self.sandboxes.get(shared.shares)
        elif mode not in ("host", "none"):
            requests = request.endpoints or [EndpointRequest(mode)]
            for wanted in requests:
                network = self.get(wanted.network)
                if not network.addressed:
                    raise InvalidArgument(
                        f"container cannot be connected to {network.name} and another network"
                    )
                if any(n.id == network.id for n, _ in networks):
                    continue
                networks.append((network, wanted))
        self._check_ports(request.ports if networks else [])
        spec = {
            "name": request.name,
            "dns": request.dns,
            "dns_search": request.dns_search,
            "dns_options": request.dns_options,
            "extra_hosts": request.extra_hosts,
            "domainname": request.domainname,
        }
        sandbox = self.sandboxes.create(request.container_id, mode, request.hostname, spec, shared)
        try:
            for network, wanted in networks:
                self._attach(sandbox, network, wanted)
            for port in request.ports if networks else []:
                self._publish(sandbox.container_id, port)
            self._apply()
            self.write_files(sandbox)
        except BaseException:
            self._teardown(request.container_id)
            raise
        return self.sandboxes.mark_complete(sandbox.container_id)

    def remove_sandbox(self, container_id: str) -> None:
        self._teardown(container_id)

    def connect(self, container_id: str, wanted: EndpointRequest) -> Sandbox:
        sandbox = self.sandboxes.get(container_id)
        network = self.get(wanted.network)
        if sandbox.mode in ("host", "none") or sandbox.shares or not network.addressed:
            raise FailedPrecondition(
                f"container cannot be connected to network {network.name}: its network mode is "
                f"{sandbox.mode if not network.addressed or sandbox.mode in ('host', 'none') or sandbox.shares else network.name}"
            )
        if any(e.network_id == network.id for e in self._endpoints(container_id=container_id)):
            raise AlreadyExists(
                f"endpoint with name {sandbox.spec.get('name', container_id)} already exists "
                f"in network {network.name}"
            )
        self._attach(sandbox, network, wanted)
        self._apply()
        self.write_files(sandbox)
        return sandbox

    def disconnect(self, container_id: str, ref: str) -> Sandbox:
        sandbox = self.sandboxes.get(container_id)
        network = self.get(ref)
        found = [
            e for e in self._endpoints(container_id=container_id) if e.network_id == network.id
        ]
        if not found:
            raise NotFound(
                f"container {container_id[:12]} is not connected to network {network.name}"
            )
        self._detach(sandbox, found[0])
        self._apply()
        self.write_files(sandbox)
        return sandbox

    def endpoints_of(self, container_id: str) -> list[tuple[Endpoint, Network]]:
        networks = {n.id: n for n in self.networks()}
        return [
            (e, networks[e.network_id])
            for e in self._endpoints(container_id=container_id)
            if e.network_id in networks
        ]

    def ports_of(self, container_id: str) -> list[Port]:
        return [p for p in self._ports() if p.container_id == container_id]

    def dns_wanted(self, sandbox: Sandbox) -> bool:
        return any(n.has_dns for _, n in self.endpoints_of(sandbox.container_id))

    def lookup(self, container_id: str, name: str) -> list[str] | None:
        """Addresses of `name` on the networks of `container_id` (None: not a container's)."""
        found: list[str] = []
        for endpoint in self._endpoints(container_id=container_id):
            found += self.names.get(endpoint.network_id, {}).get(name.lower().rstrip("."), [])
        return sorted(set(found)) or None

    def upstreams(self, container_id: str) -> list[str]:
        try:
            dns = self.sandboxes.get(container_id).spec.get("dns") or []
        except NotFound:
            dns = []
        return list(dns) or list(self._config.dns) or nameservers(read("/etc/resolv.conf"))

    def write_files(self, sandbox: Sandbox) -> None:
        spec = sandbox.spec
        if sandbox.mode == "host":
            hosts, resolv, hostname = host_files()
        else:
            hostname = sandbox.hostname
            hosts = HOSTS_HEADER
            endpoints = sorted(self.endpoints_of(sandbox.container_id), key=lambda p: p[0].ifname)
            if endpoints:
                names = hostname + (f".{spec['domainname']}" if spec.get("domainname") else "")
                hosts += f"{endpoints[0][0].address}\t{names}\n"
            for entry in spec.get("extra_hosts", []):
                host, _, address = entry.partition(":")
                if address == "host-gateway":  # docker's name for the host, as containers see it
                    address = endpoints[0][1].gateway if endpoints else "127.0.0.1"
                hosts += f"{address}\t{host}\n"
            if any(n.has_dns for _, n in endpoints):
                resolv = f"nameserver {DNS_ADDRESS}\n"
                lines = [
                    line
                    for line in read("/etc/resolv.conf").splitlines()
                    if line.startswith("search")
                ]
                resolv += "".join(f"{line}\n" for line in lines if not spec.get("dns_search"))
                resolv += "options ndots:0\n"
            elif spec.get("dns") or self._config.dns:
                servers = spec.get("dns") or self._config.dns
                resolv = "".join(f"nameserver {s}\n" for s in servers)
            else:
                resolv = container_resolv_conf(read("/etc/resolv.conf"))
            if spec.get("dns_search"):
                resolv += f"search {' '.join(spec['dns_search'])}\n"
            if spec.get("dns_options"):
                resolv += f"options {' '.join(spec['dns_options'])}\n"
        write_files(sandbox, hosts, resolv, hostname)

    # -- endpoints and ports ------------------------------------------------------------

    def _attach(self, sandbox: Sandbox, network: Network, wanted: EndpointRequest) -> None:
        mine = self._endpoints(container_id=sandbox.container_id)
        used = {IPv4Address(e.address) for e in self._endpoints(network_id=network.id)}
        address = ipam.allocate(
            network.net,
            ipam.range_for(network.net, network.ip_range),
            IPv4Address(network.gateway),
            used,
            wanted.ipv4_address,
        )
        endpoint_id = secrets.token_hex(32)
        taken_ifnames = {e.ifname for e in mine}
        ifname = next(f"eth{i}" for i in range(len(mine) + 1) if f"eth{i}" not in taken_ifnames)
        endpoint = Endpoint(
            container_id=sandbox.container_id,
            network_id=network.id,
            endpoint_id=endpoint_id,
            address=str(address),
            mac=ipam.mac_for(address),
            aliases=list(wanted.aliases),
            ifname=ifname,
            host_ifname=f"v{self.tag}{endpoint_id[:10]}" if network.driver == "bridge" else "",
        )
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO endpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        endpoint.container_id,
                        endpoint.network_id,
                        endpoint.endpoint_id,
                        endpoint.address,
                        endpoint.mac,
                        json.dumps(endpoint.aliases),
                        endpoint.ifname,
                        endpoint.host_ifname,
                    ),
                )
        except sqlite3.IntegrityError:
            raise InvalidArgument(
                f"address {address} is already in use on {network.name}"
            ) from None
        attachment = Attachment(
            ifname=ifname,
            address=ipam.interface(address, network.net),
            mac=endpoint.mac,
            gateway=None if mine or network.internal else IPv4Address(network.gateway),
        )
        try:
            if network.driver == "bridge":
                self._links.add_veth(
                    Path(sandbox.netns_path), network.interface, endpoint.host_ifname, attachment
                )
            else:
                self._links.add_macvlan(
                    Path(sandbox.netns_path),
                    network.options["parent"],
                    network.options.get("macvlan_mode", "bridge"),
                    attachment,
                )
        except BaseException:
            with self._db:
                self._db.execute(
                    "DELETE FROM endpoints WHERE endpoint_id = ?", (endpoint.endpoint_id,)
                )
            raise
        self._refresh_names()

    def _detach(self, sandbox: Sandbox, endpoint: Endpoint) -> None:
        if endpoint.host_ifname:
            self._links.delete_link(endpoint.host_ifname)
        elif sandbox.netns_path and self.sandboxes.alive(sandbox):
            self._links.remove_in_netns(Path(sandbox.netns_path), endpoint.ifname)
        with self._db:
            self._db.execute("DELETE FROM endpoints WHERE endpoint_id = ?", (endpoint.endpoint_id,))
        self._refresh_names()

    def _check_ports(self, ports: list[Port]) -> None:
        seen: list[Port] = []
        for port in [*self._ports(), *ports]:
            if port.protocol not in ("tcp", "udp"):
                raise InvalidArgument(f"invalid protocol {port.protocol!r} (tcp or udp)")
            if port.host_ip:
                ipam.parse_address(port.host_ip, "host IP")
            if not 0 < port.container_port < 65536 or not 0 <= port.host_port < 65536:
                raise InvalidArgument(f"invalid port {port.container_port}")
            for other in seen:
                if (
                    port.host_port
                    and other.protocol == port.protocol
                    and other.host_port == port.host_port
                    and (not other.host_ip or not port.host_ip or other.host_ip == port.host_ip)
                ):
                    raise AlreadyExists(
                        f"Bind for {port.host_ip or '0.0.0.0'}:{port.host_port} failed: "
                        "port is already allocated"
                    )
            seen.append(port)

    def _publish(self, container_id: str, port: Port) -> None:
        host_port = self._hold(port.protocol, port.host_ip, port.host_port)
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO ports VALUES (?, ?, ?, ?, ?)",
                    (container_id, port.protocol, port.host_ip, host_port, port.container_port),
                )
        except sqlite3.IntegrityError:
            self._release(port.protocol, port.host_ip, host_port)
            raise AlreadyExists(
                f"Bind for {port.host_ip or '0.0.0.0'}:{host_port} failed: port is already allocated"
            ) from None

    def _hold(self, protocol: str, host_ip: str, host_port: int) -> int:
        """Bind (not listen) a socket on the host port, so that no one else can take it."""
        kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((host_ip or "0.0.0.0", host_port))
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise AlreadyExists(
                    f"Bind for {host_ip or '0.0.0.0'}:{host_port} failed: port is already allocated"
                ) from None
            raise InvalidArgument(
                f"cannot publish {host_ip or '0.0.0.0'}:{host_port}: {err.strerror}"
            ) from None
        chosen = sock.getsockname()[1]
        self._held[(protocol, host_ip, chosen)] = sock
        return int(chosen)

    def _release(self, protocol: str, host_ip: str, host_port: int) -> None:
        sock = self._held.pop((protocol, host_ip, host_port), None)
        if sock is not None:
            sock.close()

    def _teardown(self, container_id: str, apply: bool = True) -> None:
        """Everything of a sandbox, in reverse; each step idempotent."""
        try:
            sandbox: Sandbox | None = self.sandboxes.get(container_id)
        except NotFound:
            sandbox = None
        with ExitStack() as stack:
            stack.callback(self.sandboxes.remove, container_id)
            for port in self.ports_of(container_id):
                self._release(port.protocol, port.host_ip, port.host_port)
            with self._db:
                self._db.execute("DELETE FROM ports WHERE container_id = ?", (container_id,))
            for endpoint in self._endpoints(container_id=container_id):
                if sandbox is not None:
                    self._detach(sandbox, endpoint)
                else:
                    if endpoint.host_ifname:
                        self._links.delete_link(endpoint.host_ifname)
                    with self._db:
                        self._db.execute(
                            "DELETE FROM endpoints WHERE endpoint_id = ?", (endpoint.endpoint_id,)
                        )
            if apply:
                self._apply()
        self._refresh_names()

    # -- rules ------------------------------------------------------------------------------

    def _apply(self) -> None:
        networks = {n.id: n for n in self.networks()}
        bridges = [
            nat.Bridge(n.interface, n.subnet, n.internal)
            for n in networks.values()
            if n.driver == "bridge"
        ]
        first: dict[str, str] = {}
        for endpoint in sorted(self._endpoints(), key=lambda e: e.ifname):
            network = networks.get(endpoint.network_id)
            if network is not None and network.driver == "bridge":
                first.setdefault(endpoint.container_id, endpoint.address)
        forwards = [
            nat.Forward(p.protocol, p.host_ip, p.host_port, first[p.container_id], p.container_port)
            for p in self._ports()
            if p.container_id in first
        ]
        self._apply_rules(nat.render(self.table, bridges, forwards))
        self._open_forward(self.tag, [b.interface for b in bridges])

    # -- store ------------------------------------------------------------------------------

    def _refresh_names(self) -> None:
        names: dict[str, dict[str, list[str]]] = {}
        for endpoint in self._endpoints():
            try:
                sandbox = self.sandboxes.get(endpoint.container_id)
            except NotFound:
                continue
            table = names.setdefault(endpoint.network_id, {})
            keys = {sandbox.spec.get("name", ""), sandbox.hostname, endpoint.container_id[:12]}
            keys |= set(endpoint.aliases)
            for key in keys - {""}:
                table.setdefault(key.lower(), []).append(endpoint.address)
        self.names = names

    def _find(self, ref: str) -> Network | None:
        row = self._db.execute(
            "SELECT * FROM networks WHERE name = ? OR id = ?", (ref, ref)
        ).fetchone()
        return _network(row) if row else None

    def _insert(self, n: Network) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO networks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    n.id,
                    n.name,
                    n.driver,
                    n.subnet,
                    n.gateway,
                    n.ip_range,
                    int(n.internal),
                    json.dumps(n.options),
                    json.dumps(n.labels),
                    n.created.isoformat(),
                    n.interface,
                ),
            )

    def _taken(self, host_routes: bool = True) -> list[tuple[str, IPv4Network]]:
        mine = [(f"network {n.name}", n.net) for n in self.networks() if n.subnet]
        routes = self._links.host_routes() if host_routes else []
        own = {net for _, net in mine}
        return mine + [("a host route", r) for r in routes if r not in own]

    def _endpoints(self, container_id: str = "", network_id: str = "") -> list[Endpoint]:
        query, args = "SELECT * FROM endpoints WHERE 1", list[str]()
        if container_id:
            query, args = query + " AND container_id = ?", [*args, container_id]
        if network_id:
            query, args = query + " AND network_id = ?", [*args, network_id]
        return [
            Endpoint(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7])
            for r in self._db.execute(query, args)
        ]

    def _ports(self) -> list[Port]:
        return [Port(*r) for r in self._db.execute("SELECT * FROM ports")]


def _new_network(**fields: Any) -> Network:
    """A network record as made now: a fresh ID unless given, empty fields by default."""
    defaults: dict[str, Any] = {
        "id": secrets.token_hex(32),
        "subnet": "",
        "gateway": "",
        "ip_range": "",
        "internal": False,
        "options": {},
        "labels": {},
        "created": datetime.now(UTC),
        "interface": "",
    }
    return Network(**(defaults | fields))


def _network(row: tuple[Any, ...]) -> Network:
    return Network(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        bool(row[6]),
        json.loads(row[7]),
        json.loads(row[8]),
        datetime.fromisoformat(row[9]),
        row[10],
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tag(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        tag = secrets.token_hex(2)
        path.write_text(tag + "\n")
        return tag
