"""The engine's side of networks: the network service's networks, with containers resolved here.

Connecting a running container adds the endpoint at once; a stopped one gets it from its next
start (it is kept in the container's NetworkSettings). A network with running containers on it
is not removed. Events: network create, connect, disconnect, destroy, as docker's.
"""

from __future__ import annotations

from dockyard.api import errors
from dockyard.services.engine.clients.networks import (
    EndpointSpec,
    Network,
    NetworkClient,
    NetworkSpec,
    Sandbox,
)
from dockyard.services.engine.endpoints import fill_endpoint, ipv6_refusal
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.locks import Locks
from dockyard.services.engine.model import Container, EndpointSettings, network_of
from dockyard.services.engine.store import ContainerStore

PREDEFINED = ("bridge", "host", "none")


class Networks:
    def __init__(
        self, store: ContainerStore, locks: Locks, network: NetworkClient, events: EventBus
    ) -> None:
        self._store = store
        self._locks = locks
        self._net = network
        self._events = events

    async def create(self, spec: NetworkSpec) -> Network:
        network = await self._net.create_network(spec)
        self._publish("create", network, type=network.driver)
        return network

    async def get(self, ref: str) -> Network:
        return await self._net.get_network(ref)

    async def list_networks(self) -> list[Network]:
        return await self._net.list_networks()

    async def remove(self, ref: str) -> None:
        network = await self._net.get_network(ref)
        users = [
            c.name
            for c in self._store.list()
            if any(
                e.network_id == network.id and e.endpoint_id for e in c.network_settings.networks
            )
        ]
        if users and network.name not in PREDEFINED:
            raise errors.FailedPrecondition(
                f"error while removing network: network {network.name} id {network.id} has "
                "active endpoints"  # docker 20.10's words (later dockerds name the endpoints)
            )
        await self._net.remove_network(network.id)
        self._publish("destroy", network, type=network.driver)

    async def prune(self) -> list[str]:
        removed = await self._net.prune_networks()
        for name in removed:
            self._events.publish("network", "destroy", name, name=name)
        return removed

    async def connect(self, ref: str, container_ref: str, endpoint: EndpointSettings) -> None:
        network = await self._net.get_network(ref)
        container = self._store.get(container_ref)
        async with self._locks(container.id):
            container = self._store.get(container.id)
            if endpoint.ipv6_address:  # dockerd's updateNetworkConfig, running or not, first
                raise ipv6_refusal(network.name)
            _check_connectable(container, network)
            settings = EndpointSettings(
                network=network.name,
                aliases=list(endpoint.aliases),
                ipv4_address=endpoint.ipv4_address,
                links=list(endpoint.links),
                link_local_ips=list(endpoint.link_local_ips),
                driver_opts=dict(endpoint.driver_opts),
            )
            if container.running and not container.state.restarting:
                wanted = EndpointSpec(
                    network.id,
                    settings.aliases,
                    settings.ipv4_address,
                    links=settings.links,
                    link_local_ips=settings.link_local_ips,
                )
                sandbox = await self._net.connect(container.id, wanted)
                _fill(settings, sandbox, network.id)
            container.network_settings.networks.append(settings)
            self._store.update(container)
        self._publish("connect", network, container=container.id)

    async def disconnect(self, ref: str, container_ref: str, force: bool) -> None:
        network = await self._net.get_network(ref)
        container = self._store.get(container_ref)
        async with self._locks(container.id):
            container = self._store.get(container.id)
            kept = [
                e
                for e in container.network_settings.networks
                if e.network not in (network.name, network.id) and e.network_id != network.id
            ]
            if len(kept) == len(container.network_settings.networks) and not force:
                raise errors.NotFound(
                    f"container {container.id[:12]} is not connected to network {network.name}"
                )
            if container.running and not container.state.restarting:
                await self._leave(container.id, network.id, force)
            container.network_settings.networks = kept
            if (
                network_of(container.host_config.network_mode) in (network.name, network.id)
                and kept
            ):
                container.host_config.network_mode = kept[0].network
            self._store.update(container)
        self._publish("disconnect", network, container=container.id)

    async def _leave(self, container_id: str, network_id: str, force: bool) -> None:
        try:
            await self._net.disconnect(container_id, network_id, force)
        except errors.NotFound:
            if not force:
                raise

    def _publish(self, action: str, network: Network, **extra: str) -> None:
        self._events.publish("network", action, network.id, name=network.name, **extra)


def _check_connectable(container: Container, network: Network) -> None:
    if network.config_only:  # libnetwork's CreateEndpoint
        raise errors.FailedPrecondition("cannot create endpoint on configuration-only network")
    mode = container.host_config.network_mode
    if (
        mode in ("host", "none")
        or mode.startswith("container:")
        or network.driver in ("host", "null")
    ):
        raise errors.FailedPrecondition(
            f"container sharing network namespace with another container or host "
            f"cannot be connected to any other network (mode {mode})"
        )
    if any(e.network in (network.name, network.id) for e in container.network_settings.networks):
        raise errors.AlreadyExists(
            f"endpoint with name {container.name} already exists in network {network.name}"
        )


def _fill(settings: EndpointSettings, sandbox: Sandbox, network_id: str) -> None:
    for got in sandbox.endpoints:
        if got.network_id == network_id:
            fill_endpoint(settings, got)
