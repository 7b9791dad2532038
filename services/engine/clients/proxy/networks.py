"""`NetworkClient` over the network service's gRPC stub."""

from __future__ import annotations

import grpc
from dockyard.network.v1 import network_pb2 as pb
from dockyard.network.v1 import network_pb2_grpc
from dockyard.services.engine.clients.networks import (
    EndpointSpec,
    Network,
    NetworkSpec,
    Sandbox,
    SandboxSpec,
)
from dockyard.services.engine.clients.proxy.deadlines import READY
from dockyard.services.engine.convert import from_proto, to_proto


class NetworkProxy:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = network_pb2_grpc.NetworksStub(channel)

    async def create_sandbox(self, spec: SandboxSpec) -> Sandbox:
        request = to_proto(spec, pb.CreateSandboxRequest())
        return from_proto(Sandbox, await self._stub.CreateSandbox(request, **READY))

    async def remove_sandbox(self, container_id: str) -> None:
        await self._stub.RemoveSandbox(pb.RemoveSandboxRequest(container_id=container_id), **READY)

    async def list_sandboxes(self) -> list[Sandbox]:
        reply = await self._stub.ListSandboxes(pb.ListSandboxesRequest(), **READY)
        return [from_proto(Sandbox, s) for s in reply.sandboxes]

    async def connect(self, container_id: str, endpoint: EndpointSpec) -> Sandbox:
        request = pb.ConnectRequest(
            container_id=container_id, endpoint=to_proto(endpoint, pb.EndpointRequest())
        )
        return from_proto(Sandbox, await self._stub.Connect(request, **READY))

    async def disconnect(self, container_id: str, network: str, force: bool) -> Sandbox:
        request = pb.DisconnectRequest(container_id=container_id, network=network, force=force)
        return from_proto(Sandbox, await self._stub.Disconnect(request, **READY))

    async def update_hosts(self, container_id: str, name: str, address: str) -> None:
        request = pb.UpdateHostsRequest(container_id=container_id, name=name, address=address)
        await self._stub.UpdateHosts(request, **READY)

    async def get_network(self, ref: str) -> Network:
        return from_proto(Network, await self._stub.GetNetwork(pb.NetworkRequest(id=ref), **READY))

    async def list_networks(self) -> list[Network]:
        reply = await self._stub.ListNetworks(pb.ListNetworksRequest(), **READY)
        return [from_proto(Network, n) for n in reply.networks]

    async def create_network(self, spec: NetworkSpec) -> Network:
        request = to_proto(spec, pb.CreateNetworkRequest())
        return from_proto(Network, await self._stub.CreateNetwork(request, **READY))

    async def remove_network(self, ref: str) -> None:
        await self._stub.RemoveNetwork(pb.NetworkRequest(id=ref), **READY)

    async def prune_networks(self) -> list[str]:
        reply = await self._stub.PruneNetworks(pb.PruneNetworksRequest(), **READY)
        return list(reply.removed)
