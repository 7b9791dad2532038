"""The network service's model: sandboxes made, joined to networks and torn down, over the
store, the kernel and the name table. Calls block (netlink, namespaces, nft) and must be made
one at a time (service.py does both).

    create_sandbox   record → namespace → endpoints → published ports → their DNAT elements
                     → /etc files → marked complete; a failure tears it all down, in reverse
    remove_sandbox   ports (records, sockets, elements) → endpoints → namespace and record;
                     each step idempotent, and nothing at all done for a sandbox already gone
    unlinking        a removal's slow part taken out first: the sandbox marked incomplete
    + unlink         (a crash from there on has start-up repair remove it whole), then its
                     links deleted without the model's lock, beside other removals (a veth
                     deletion takes the kernel ~20 ms, mostly RCU grace periods that
                     concurrent deletions share); remove_sandbox then finds them gone
    connect          one more endpoint on a live sandbox; disconnect takes one away (the
                     published ports follow the first bridge endpoint)

Start-up repair and the release at a clean stop are repair.py's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.api.config import DaemonConfig
from dockyard.api.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from dockyard.services.network import etcfiles, nat, ports
from dockyard.services.network.endpoints import BUILTIN, EndpointRequest, Endpoints
from dockyard.services.network.kernel import Kernel
from dockyard.services.network.names import NameTable
from dockyard.services.network.networks import Networks, binding_address
from dockyard.services.network.ports import Ports
from dockyard.services.network.sandboxes import Sandbox, Sandboxes, write_files
from dockyard.services.network.store import Endpoint, Network, Port, Store
from dockyard.services.network.tags import Tag


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
    no_networks: bool = False  # with a network mode: loopback alone (no endpoints = the mode's)


@dataclass(frozen=True)
class SandboxView:
    """A sandbox as the service answers for it."""

    sandbox: Sandbox
    endpoints: list[tuple[Endpoint, Network]]  # by interface name
    ports: list[Port]

    @property
    def dns_wanted(self) -> bool:
        """Whether the embedded DNS serves it (an endpoint on a user network)."""
        return bool(self.sandbox.netns_path) and any(n.has_dns for _, n in self.endpoints)


@dataclass(frozen=True)
class Unlinking:
    """The links a removal deletes before its records go (`Manager.unlinking`)."""

    sandbox: Sandbox
    endpoints: list[Endpoint]


@dataclass(frozen=True)
class NetworkView:
    network: Network
    members: list[tuple[Endpoint, str]]  # each endpoint on it, with its container's name


class Manager:
    def __init__(self, data_dir: Path, run_dir: Path, config: DaemonConfig, kernel: Kernel) -> None:
        self.config = config
        self.kernel = kernel
        self.tag = Tag.load(data_dir / "tag")
        self.store = Store(data_dir / "network.db")
        self.sandboxes = Sandboxes(self.store.db, data_dir, run_dir, kernel.namespaces)
        self.names = NameTable()
        self.rules = nat.Rules(self.tag.table, kernel.nft, self._wanted_rules)
        self.networks = Networks(self.store, kernel, self.rules, config, self.tag)
        self.endpoints = Endpoints(self.store, self.sandboxes, kernel.links, self.names, self.tag)
        self.ports = Ports(self.store)

    def close(self) -> None:
        self.ports.close()
        self.store.close()

    # -- sandboxes --------------------------------------------------------------------------

    def create_sandbox(self, request: SandboxRequest) -> SandboxView:
        try:
            existing = self.sandboxes.get(request.container_id)
        except NotFound:
            pass
        else:
            if self.sandboxes.whole(existing):
                return self.view(existing)
            self.remove_sandbox(request.container_id)  # half made, or its namespace is gone
        shared, networks = self._resolve(request)
        wanted_ports = request.ports if networks else []
        ports.check(wanted_ports)
        wanted_ports = _bound(wanted_ports, networks)
        sandbox = self.sandboxes.create(
            request.container_id, request.mode, request.hostname, _spec(request), shared
        )
        try:
            for network, wanted in networks:
                self.endpoints.attach(sandbox, network, wanted)
            for port in wanted_ports:
                self.ports.publish(sandbox.container_id, port)
            forwards = self.endpoints.forwards(sandbox.container_id)
            self.rules.change(nat.add_forwards(self.rules.table, forwards))
            if any(n.bridged for n, _ in networks):  # docker may have cut FORWARD meanwhile
                self.kernel.open_forward(
                    self.tag.value, [b.interface for b in self.networks.bridges()]
                )
            self.write_files(sandbox)
        except BaseException:
            self.remove_sandbox(request.container_id)
            raise
        return self.view(self.sandboxes.mark_complete(sandbox.container_id))

    def remove_sandbox(self, container_id: str) -> None:
        try:
            sandbox: Sandbox | None = self.sandboxes.get(container_id)
        except NotFound:
            sandbox = None
        published = self.store.ports(container_id)
        endpoints = self.store.endpoints(container_id)
        if sandbox is None and not published and not endpoints:
            return  # gone already: the engine asks again after every exit
        forwards = self.endpoints.forwards(container_id)
        for port in published:
            self.ports.unpublish(port)
        self.rules.change(nat.remove_forwards(self.rules.table, forwards))
        for endpoint in endpoints:
            self.endpoints.detach(sandbox, endpoint)
        self.sandboxes.remove(container_id)

    def unlinking(self, container_id: str) -> Unlinking | None:
        """Before `remove_sandbox`: the sandbox marked incomplete and the links `unlink` is to
        delete (None: no link, nothing to do first)."""
        try:
            sandbox = self.sandboxes.get(container_id)
        except NotFound:
            return None
        endpoints = self.store.endpoints(container_id)
        if not endpoints:
            return None
        self.sandboxes.mark_complete(container_id, False)
        return Unlinking(sandbox, endpoints)

    def unlink(self, unlinking: Unlinking) -> None:
        """Delete the links of `unlinking` (the kernel only: callable beside other model calls)."""
        for endpoint in unlinking.endpoints:
            self.endpoints.unlink(unlinking.sandbox, endpoint)

    def connect(self, container_id: str, wanted: EndpointRequest) -> SandboxView:
        sandbox = self.sandboxes.get(container_id)
        network = self.networks.get(wanted.network)
        if sandbox.mode in ("host", "none") or sandbox.shares or not network.addressed:
            mode = network.name
            if not network.addressed or sandbox.mode in ("host", "none") or sandbox.shares:
                mode = sandbox.mode
            raise FailedPrecondition(
                f"container cannot be connected to network {network.name}: its network mode "
                f"is {mode}"
            )
        if any(e.network_id == network.id for e in self.store.endpoints(container_id)):
            raise AlreadyExists(
                f"endpoint with name {sandbox.spec.get('name', container_id)} already exists "
                f"in network {network.name}"
            )
        before = self.endpoints.forwards(container_id)
        self.endpoints.attach(sandbox, network, wanted)
        self._retarget(container_id, before)
        self.write_files(sandbox)
        return self.view(sandbox)

    def disconnect(self, container_id: str, ref: str) -> SandboxView:
        sandbox = self.sandboxes.get(container_id)
        network = self.networks.get(ref)
        found = [e for e in self.store.endpoints(container_id) if e.network_id == network.id]
        if not found:
            raise NotFound(
                f"container {container_id[:12]} is not connected to network {network.name}"
            )
        before = self.endpoints.forwards(container_id)
        self.endpoints.detach(sandbox, found[0])
        self._retarget(container_id, before)
        self.write_files(sandbox)
        return self.view(sandbox)

    def update_hosts(self, container_id: str, name: str, address: str) -> None:
        """The extra hosts entries first named `name` get `address` ("" = go), as libnetwork's
        etchosts.Update (a linked container's new address) or a sandbox refresh (a link
        removed) change them; a sandbox that is gone has nothing to change."""
        try:
            sandbox = self.sandboxes.get(container_id)
        except NotFound:
            return
        entries = etcfiles.update_host(sandbox.spec.get("extra_hosts", []), name, address)
        if entries != sandbox.spec.get("extra_hosts", []):
            sandbox = self.sandboxes.set_spec(container_id, sandbox.spec | {"extra_hosts": entries})
            self.write_files(sandbox)

    def view(self, sandbox: Sandbox) -> SandboxView:
        cid = sandbox.container_id
        endpoints = self.endpoints.of(cid) + self.endpoints.builtin(sandbox)
        return SandboxView(sandbox, endpoints, self.store.ports(cid))

    def list_sandboxes(self) -> list[SandboxView]:
        return [self.view(s) for s in self.sandboxes.list()]

    def write_files(self, sandbox: Sandbox) -> None:
        container = etcfiles.Container(
            sandbox.mode, sandbox.hostname, sandbox.spec, self.endpoints.of(sandbox.container_id)
        )
        write_files(sandbox, etcfiles.files(container, list(self.config.dns)))

    # -- networks ---------------------------------------------------------------------------

    def network_view(self, network: Network) -> NetworkView:
        members = []
        for endpoint in self.store.endpoints(network_id=network.id):
            try:
                name = self.sandboxes.get(endpoint.container_id).spec.get("name", "")
            except NotFound:
                name = ""
            members.append((endpoint, name))
        if network.name in BUILTIN:
            for sandbox in self.sandboxes.with_mode(network.name):
                members += [
                    (e, sandbox.spec.get("name", "")) for e, _ in self.endpoints.builtin(sandbox)
                ]
        return NetworkView(network, members)

    # -- inside -----------------------------------------------------------------------------

    def _resolve(
        self, request: SandboxRequest
    ) -> tuple[Sandbox | None, list[tuple[Network, EndpointRequest]]]:
        """The sandbox a container: mode joins, or the networks to attach (in order)."""
        mode = request.mode
        if mode.startswith("container:"):
            shared = self.sandboxes.get(mode.removeprefix("container:"))
            return (self.sandboxes.get(shared.shares) if shared.shares else shared), []
        if mode in ("host", "none"):
            return None, []
        networks: list[tuple[Network, EndpointRequest]] = []
        default = [] if request.no_networks else [EndpointRequest(mode)]
        for wanted in request.endpoints or default:
            network = self.networks.get(wanted.network)
            if not network.addressed:
                raise InvalidArgument(
                    f"container cannot be connected to {network.name} and another network"
                )
            if all(n.id != network.id for n, _ in networks):
                networks.append((network, wanted))
        return None, networks

    def _retarget(self, container_id: str, before: list[nat.Forward]) -> None:
        """Move the published ports' DNAT to where they go now (the first bridge endpoint)."""
        after = self.endpoints.forwards(container_id)
        if after != before:
            table = self.rules.table
            self.rules.change(nat.remove_forwards(table, before) + nat.add_forwards(table, after))

    def _wanted_rules(self) -> tuple[list[nat.Bridge], list[nat.Forward]]:
        """What the table should hold, from the records (for a rewrite)."""
        forwards = [f for cid in self.store.owners() for f in self.endpoints.forwards(cid)]
        return self.networks.bridges(), forwards


def _spec(request: SandboxRequest) -> dict[str, object]:
    return {
        "name": request.name,
        "dns": request.dns,
        "dns_search": request.dns_search,
        "dns_options": request.dns_options,
        "extra_hosts": request.extra_hosts,
        "domainname": request.domainname,
    }


def _bound(wanted: list[Port], networks: list[tuple[Network, EndpointRequest]]) -> list[Port]:
    """Ports published without a host address get the host_binding_ipv4 of the network they
    are published through (the first bridge network), as libnetwork's DefaultBindingIP."""
    through = next((n for n, _ in networks if n.bridged), None)
    address = binding_address(through) if through is not None else ""
    if not address:
        return wanted
    return [p if p.host_ip else dataclasses.replace(p, host_ip=address) for p in wanted]
