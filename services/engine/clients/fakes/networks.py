"""`NetworkClient` in memory: the three predefined networks, user networks, and sandboxes
with addresses from a counter and host ports from 32768 up (a taken one is refused).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.networks import (
    Endpoint,
    EndpointSpec,
    Network,
    NetworkContainer,
    NetworkSpec,
    PublishedPort,
    Sandbox,
    SandboxSpec,
)

PREDEFINED = (("bridge", "bridge"), ("host", "host"), ("none", "null"))
FIRST_HOST_PORT = 32768


class FakeNetwork:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.networks: dict[str, Network] = {}
        self.sandboxes: dict[str, Sandbox] = {}
        self._addresses = 1
        self.hosts_updates: list[tuple[str, str, str]] = []  # update_hosts calls, in order
        for name, driver in PREDEFINED:
            self._add(NetworkSpec(name=name, driver=driver))

    # -- sandboxes ------------------------------------------------------------------------

    async def create_sandbox(self, spec: SandboxSpec) -> Sandbox:
        self.faults.enter("network.create_sandbox", spec.container_id)
        if spec.container_id in self.sandboxes:
            return self.sandboxes[spec.container_id]
        sandbox = Sandbox(spec.container_id, spec.mode, netns_path=self._netns(spec))
        if spec.mode in ("host", "none"):  # an endpoint without an address, as the real one's
            found = self._network(spec.mode)
            sandbox.endpoints = [Endpoint(found.id, found.name, f"ep-{spec.mode}")]
        else:
            sandbox.endpoints = [self._endpoint(e) for e in spec.endpoints]
        sandbox.ports = [self._publish(p) for p in spec.ports]
        if spec.mode != "host":
            files = f"/fake/sandboxes/{spec.container_id}"
            sandbox.hosts_path, sandbox.resolv_conf_path = f"{files}/hosts", f"{files}/resolv"
            sandbox.hostname_path = f"{files}/hostname"
        self.sandboxes[spec.container_id] = sandbox
        return sandbox

    async def remove_sandbox(self, container_id: str) -> None:
        self.faults.enter("network.remove_sandbox", container_id)
        self.sandboxes.pop(container_id, None)

    async def list_sandboxes(self) -> list[Sandbox]:
        self.faults.enter("network.list_sandboxes")
        return list(self.sandboxes.values())

    async def connect(self, container_id: str, endpoint: EndpointSpec) -> Sandbox:
        self.faults.enter("network.connect", container_id)
        sandbox = self._sandbox(container_id)
        sandbox.endpoints.append(self._endpoint(endpoint))
        return sandbox

    async def disconnect(self, container_id: str, network: str, force: bool) -> Sandbox:
        self.faults.enter("network.disconnect", container_id)
        sandbox = self._sandbox(container_id)
        found = self._network(network)
        kept = [e for e in sandbox.endpoints if e.network_id != found.id]
        if len(kept) == len(sandbox.endpoints):
            raise errors.NotFound(f"container {container_id[:12]} is not on {found.name}")
        sandbox.endpoints = kept
        return sandbox

    async def update_hosts(self, container_id: str, name: str, address: str) -> None:
        self.hosts_updates.append((container_id, name, address))

    # -- networks -------------------------------------------------------------------------

    async def get_network(self, ref: str) -> Network:
        self.faults.enter("network.get_network", ref)
        return self._with_containers(self._network(ref))

    async def list_networks(self) -> list[Network]:
        self.faults.enter("network.list_networks")
        return [self._with_containers(n) for n in self.networks.values()]

    async def create_network(self, spec: NetworkSpec) -> Network:
        self.faults.enter("network.create_network", spec.name)
        if any(n.name == spec.name for n in self.networks.values()):
            raise errors.AlreadyExists(f"network with name {spec.name} already exists")
        return self._add(spec)

    async def remove_network(self, ref: str) -> None:
        self.faults.enter("network.remove_network", ref)
        network = self._network(ref)
        if network.name in dict(PREDEFINED):
            raise errors.FailedPrecondition(f"{network.name} is a pre-defined network")
        if self._users(network):
            raise errors.FailedPrecondition(f"network {network.name} has active endpoints")
        del self.networks[network.id]

    async def prune_networks(self) -> list[str]:
        self.faults.enter("network.prune_networks")
        unused = [
            n
            for n in self.networks.values()
            if n.name not in dict(PREDEFINED) and not self._users(n)
        ]
        for network in unused:
            del self.networks[network.id]
        return [n.name for n in unused]

    # -- the fake's own bookkeeping -------------------------------------------------------

    def _add(self, spec: NetworkSpec) -> Network:
        network_id = hashlib.sha256(spec.name.encode()).hexdigest()
        driver = spec.driver or "bridge"
        self.networks[network_id] = Network(network_id, spec.name, driver, labels=spec.labels)
        return self.networks[network_id]

    def _network(self, ref: str) -> Network:
        for network in self.networks.values():
            if ref in (network.name, network.id):
                return network
        found = [n for n in self.networks.values() if n.id.startswith(ref)]
        if len(found) != 1:
            raise errors.NotFound(f"network {ref} not found")
        return found[0]

    def _sandbox(self, container_id: str) -> Sandbox:
        if container_id not in self.sandboxes:
            raise errors.NotFound(f"no sandbox for container {container_id}")
        return self.sandboxes[container_id]

    def _netns(self, spec: SandboxSpec) -> str:
        if spec.mode == "host":
            return ""
        if spec.mode.startswith("container:"):
            return self._sandbox(spec.mode.removeprefix("container:")).netns_path
        return f"/fake/netns/{spec.container_id}"

    def _endpoint(self, spec: EndpointSpec) -> Endpoint:
        network = self._network(spec.network)
        self._addresses += 1
        return Endpoint(
            network_id=network.id,
            network_name=network.name,
            endpoint_id=f"ep{self._addresses}",
            ip_address=spec.ipv4_address or f"10.0.0.{self._addresses}",
            prefix_len=24,
            gateway="10.0.0.1",
            mac_address=f"02:42:0a:00:00:{self._addresses:02x}",
            aliases=list(spec.aliases),
        )

    def _publish(self, port: PublishedPort) -> PublishedPort:
        taken = {(p.protocol, p.host_port) for s in self.sandboxes.values() for p in s.ports}
        host_port = port.host_port or FIRST_HOST_PORT
        while not port.host_port and (port.protocol, host_port) in taken:
            host_port += 1
        if (port.protocol, host_port) in taken:
            raise errors.FailedPrecondition(
                f"port {host_port}/{port.protocol} is already allocated"
            )
        return replace(port, host_port=host_port)

    def _users(self, network: Network) -> list[tuple[str, Endpoint]]:
        return [
            (s.container_id, e)
            for s in self.sandboxes.values()
            for e in s.endpoints
            if e.network_id == network.id
        ]

    def _with_containers(self, network: Network) -> Network:
        containers = [
            NetworkContainer(cid, "", e.endpoint_id, e.mac_address, f"{e.ip_address}/24")
            for cid, e in self._users(network)
        ]
        return replace(network, containers=containers)
