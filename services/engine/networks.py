"""The engine's Networks API: the network service's networks, with containers resolved here.

Connecting a running container adds the endpoint at once; a stopped one gets it from its next
start (it is kept in the container's NetworkSettings). Events: network create, connect,
disconnect, destroy, as docker's.
"""

from __future__ import annotations

from typing import Any

from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2, engine_pb2_grpc
from dockyard.network.v1 import network_pb2
from dockyard.services.engine.backends import READY, Backends
from dockyard.services.engine.lifecycle import Lifecycle, fill_endpoint
from dockyard.services.engine.model import EndpointSettings
from google.protobuf import empty_pb2

Context = Any
EMPTY = empty_pb2.Empty()


class NetworksServicer(engine_pb2_grpc.NetworksServicer):
    def __init__(self, lifecycle: Lifecycle, backends: Backends) -> None:
        self._life = lifecycle
        self._net = backends.network

    async def Create(
        self, request: network_pb2.CreateNetworkRequest, context: Context
    ) -> network_pb2.Network:
        network = await self._net.CreateNetwork(request, **READY)
        self._publish("create", network, type=network.driver)
        return network

    async def Remove(
        self, request: network_pb2.NetworkRequest, context: Context
    ) -> empty_pb2.Empty:
        network = await self._net.GetNetwork(request, **READY)
        users = [
            c.name
            for c in self._life.store.list()
            if any(
                e.network_id == network.id and e.endpoint_id for e in c.network_settings.networks
            )
        ]
        if users and network.name not in ("bridge", "host", "none"):
            raise errors.FailedPrecondition(
                f"error while removing network: network {network.name} id {network.id} has "
                f"active endpoints ({', '.join(sorted(users))})"
            )
        await self._net.RemoveNetwork(network_pb2.NetworkRequest(id=network.id), **READY)
        self._publish("destroy", network, type=network.driver)
        return EMPTY

    async def Inspect(
        self, request: network_pb2.NetworkRequest, context: Context
    ) -> network_pb2.Network:
        return await self._net.GetNetwork(request, **READY)

    async def List(
        self, request: network_pb2.ListNetworksRequest, context: Context
    ) -> network_pb2.ListNetworksResponse:
        return await self._net.ListNetworks(request, **READY)

    async def Prune(
        self, request: network_pb2.PruneNetworksRequest, context: Context
    ) -> network_pb2.PruneNetworksResponse:
        reply = await self._net.PruneNetworks(request, **READY)
        for name in reply.removed:
            self._life.events.publish("network", "destroy", name, name=name)
        return reply

    async def Connect(
        self, request: engine_pb2.NetworkConnectRequest, context: Context
    ) -> empty_pb2.Empty:
        network = await self._net.GetNetwork(
            network_pb2.NetworkRequest(id=request.network), **READY
        )
        container = self._life.store.get(request.container)
        async with self._life.lock(container.id):
            container = self._life.store.get(container.id)
            mode = container.host_config.network_mode
            if (
                mode in ("host", "none")
                or mode.startswith("container:")
                or network.driver
                in (
                    "host",
                    "null",
                )
            ):
                raise errors.FailedPrecondition(
                    f"container sharing network namespace with another container or host "
                    f"cannot be connected to any other network (mode {mode})"
                )
            if any(
                e.network in (network.name, network.id) for e in container.network_settings.networks
            ):
                raise errors.AlreadyExists(
                    f"endpoint with name {container.name} already exists in network {network.name}"
                )
            settings = EndpointSettings(
                network=network.name,
                aliases=list(request.aliases),
                ipv4_address=request.ipv4_address,
            )
            if container.running and not container.state.restarting:
                sandbox = await self._net.Connect(
                    network_pb2.ConnectRequest(
                        container_id=container.id,
                        endpoint=network_pb2.EndpointRequest(
                            network=network.id,
                            aliases=settings.aliases,
                            ipv4_address=settings.ipv4_address,
                        ),
                    ),
                    **READY,
                )
                container.network_settings.networks.append(settings)
                _fill(settings, sandbox, network.id)
            else:
                container.network_settings.networks.append(settings)
            self._life.store.update(container)
        self._publish("connect", network, container=container.id)
        return EMPTY

    async def Disconnect(
        self, request: engine_pb2.NetworkDisconnectRequest, context: Context
    ) -> empty_pb2.Empty:
        network = await self._net.GetNetwork(
            network_pb2.NetworkRequest(id=request.network), **READY
        )
        container = self._life.store.get(request.container)
        async with self._life.lock(container.id):
            container = self._life.store.get(container.id)
            kept = [
                e
                for e in container.network_settings.networks
                if e.network not in (network.name, network.id) and e.network_id != network.id
            ]
            if len(kept) == len(container.network_settings.networks) and not request.force:
                raise errors.NotFound(
                    f"container {container.id[:12]} is not connected to network {network.name}"
                )
            if container.running and not container.state.restarting:
                try:
                    await self._net.Disconnect(
                        network_pb2.DisconnectRequest(
                            container_id=container.id, network=network.id, force=request.force
                        ),
                        **READY,
                    )
                except errors.NotFound:
                    if not request.force:
                        raise
            container.network_settings.networks = kept
            if container.host_config.network_mode in (network.name, network.id) and kept:
                container.host_config.network_mode = kept[0].network
            self._life.store.update(container)
        self._publish("disconnect", network, container=container.id)
        return EMPTY

    def _publish(self, action: str, network: network_pb2.Network, **extra: str) -> None:
        self._life.events.publish("network", action, network.id, name=network.name, **extra)


def _fill(settings: EndpointSettings, sandbox: network_pb2.Sandbox, network_id: str) -> None:
    for got in sandbox.endpoints:
        if got.network_id == network_id:
            fill_endpoint(settings, got)
