"""The network service's gRPC adapter (dockyard.network.v1.Networks).

Changes run one at a time in a thread (netlink, nft and namespace work block); the embedded
DNS endpoints (dns.py) live on the event loop, one per sandbox on a user-defined network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dockyard.network.v1 import network_pb2 as pb
from dockyard.network.v1 import network_pb2_grpc
from dockyard.services.network import dns
from dockyard.services.network.networks import (
    EndpointRequest,
    Manager,
    Network,
    Port,
    SandboxRequest,
)
from dockyard.services.network.sandboxes import Sandbox
from google.protobuf import empty_pb2

Context = Any
T = TypeVar("T")
log = logging.getLogger(__name__)


class NetworksServicer(network_pb2_grpc.NetworksServicer):
    def __init__(self, manager: Manager) -> None:
        self._m = manager
        self._lock = asyncio.Lock()
        self._resolvers: dict[str, dns.Resolver] = {}

    async def _do(self, work: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            return await asyncio.to_thread(work, *args)

    async def start(self) -> None:
        await self._do(self._m.startup)
        for sandbox in self._m.sandboxes.list():
            await self._sync_dns(sandbox)

    async def stop(self) -> None:
        for resolver in self._resolvers.values():
            resolver.close()
        await self._do(self._m.shutdown)

    async def _sync_dns(self, sandbox: Sandbox) -> None:
        wanted = self._m.dns_wanted(sandbox) and bool(sandbox.netns_path)
        have = self._resolvers.get(sandbox.container_id)
        if wanted and have is None:
            cid = sandbox.container_id
            resolver = dns.Resolver(
                lambda name: self._m.lookup(cid, name), lambda: self._m.upstreams(cid)
            )
            try:
                await resolver.start(Path(sandbox.netns_path))
            except OSError as err:
                log.warning("no DNS for container %s: %s", cid[:12], err)
                return
            self._resolvers[cid] = resolver
        elif not wanted and have is not None:
            have.close()
            del self._resolvers[sandbox.container_id]

    def _drop_dns(self, container_id: str) -> None:
        resolver = self._resolvers.pop(container_id, None)
        if resolver is not None:
            resolver.close()

    # -- sandboxes --------------------------------------------------------------------------

    async def CreateSandbox(self, request: pb.CreateSandboxRequest, context: Context) -> pb.Sandbox:
        wanted = SandboxRequest(
            container_id=request.container_id,
            mode=request.mode,
            hostname=request.hostname,
            name=request.name,
            endpoints=[_endpoint_request(e) for e in request.endpoints],
            ports=[
                Port(
                    request.container_id,
                    p.protocol or "tcp",
                    p.host_ip,
                    p.host_port,
                    p.container_port,
                )
                for p in request.ports
            ],
            dns=list(request.dns),
            dns_search=list(request.dns_search),
            dns_options=list(request.dns_options),
            extra_hosts=list(request.extra_hosts),
            domainname=request.domainname,
        )
        sandbox = await self._do(self._m.create_sandbox, wanted)
        await self._sync_dns(sandbox)
        return self._sandbox(sandbox)

    async def RemoveSandbox(
        self, request: pb.RemoveSandboxRequest, context: Context
    ) -> empty_pb2.Empty:
        self._drop_dns(request.container_id)
        await self._do(self._m.remove_sandbox, request.container_id)
        return empty_pb2.Empty()

    async def GetSandbox(self, request: pb.GetSandboxRequest, context: Context) -> pb.Sandbox:
        return self._sandbox(self._m.sandboxes.get(request.container_id))

    async def ListSandboxes(
        self, request: pb.ListSandboxesRequest, context: Context
    ) -> pb.ListSandboxesResponse:
        return pb.ListSandboxesResponse(
            sandboxes=[self._sandbox(s) for s in self._m.sandboxes.list()]
        )

    async def Connect(self, request: pb.ConnectRequest, context: Context) -> pb.Sandbox:
        sandbox = await self._do(
            self._m.connect, request.container_id, _endpoint_request(request.endpoint)
        )
        await self._sync_dns(sandbox)
        return self._sandbox(sandbox)

    async def Disconnect(self, request: pb.DisconnectRequest, context: Context) -> pb.Sandbox:
        sandbox = await self._do(self._m.disconnect, request.container_id, request.network)
        await self._sync_dns(sandbox)
        return self._sandbox(sandbox)

    # -- networks ---------------------------------------------------------------------------

    async def CreateNetwork(self, request: pb.CreateNetworkRequest, context: Context) -> pb.Network:
        network = await self._do(
            self._m.create,
            request.name,
            request.driver,
            request.subnet,
            request.gateway,
            request.ip_range,
            request.internal,
            dict(request.options),
            dict(request.labels),
        )
        return self._network(network)

    async def RemoveNetwork(self, request: pb.NetworkRequest, context: Context) -> empty_pb2.Empty:
        await self._do(self._m.remove, request.id)
        return empty_pb2.Empty()

    async def GetNetwork(self, request: pb.NetworkRequest, context: Context) -> pb.Network:
        return self._network(self._m.get(request.id))

    async def ListNetworks(
        self, request: pb.ListNetworksRequest, context: Context
    ) -> pb.ListNetworksResponse:
        return pb.ListNetworksResponse(networks=[self._network(n) for n in self._m.networks()])

    async def PruneNetworks(
        self, request: pb.PruneNetworksRequest, context: Context
    ) -> pb.PruneNetworksResponse:
        return pb.PruneNetworksResponse(removed=await self._do(self._m.prune))

    # -- messages ---------------------------------------------------------------------------

    def _sandbox(self, sandbox: Sandbox) -> pb.Sandbox:
        message = pb.Sandbox(
            container_id=sandbox.container_id,
            mode=sandbox.mode,
            netns_path=sandbox.netns_path,
            hosts_path=str(sandbox.hosts),
            resolv_conf_path=str(sandbox.resolv_conf),
            hostname_path=str(sandbox.hostname_file),
        )
        for endpoint, network in sorted(
            self._m.endpoints_of(sandbox.container_id), key=lambda p: p[0].ifname
        ):
            message.endpoints.add(
                network_id=network.id,
                network_name=network.name,
                endpoint_id=endpoint.endpoint_id,
                ip_address=endpoint.address,
                prefix_len=network.net.prefixlen,
                gateway=network.gateway,
                mac_address=endpoint.mac,
                aliases=endpoint.aliases,
                interface=endpoint.ifname,
                host_interface=endpoint.host_ifname,
            )
        for port in self._m.ports_of(sandbox.container_id):
            message.ports.add(
                protocol=port.protocol,
                container_port=port.container_port,
                host_ip=port.host_ip,
                host_port=port.host_port,
            )
        return message

    def _network(self, network: Network) -> pb.Network:
        message = pb.Network(
            id=network.id,
            name=network.name,
            driver=network.driver,
            scope="local",
            subnet=network.subnet,
            gateway=network.gateway,
            ip_range=network.ip_range,
            internal=network.internal,
            options=network.options,
            labels=network.labels,
            interface=network.interface,
        )
        message.created.FromDatetime(network.created)
        for endpoint, name in self._m.members(network):
            message.containers.add(
                container_id=endpoint.container_id,
                name=name,
                endpoint_id=endpoint.endpoint_id,
                mac_address=endpoint.mac,
                ipv4_address=f"{endpoint.address}/{network.net.prefixlen}",
            )
        return message


def _endpoint_request(message: pb.EndpointRequest) -> EndpointRequest:
    return EndpointRequest(
        network=message.network, aliases=list(message.aliases), ipv4_address=message.ipv4_address
    )
