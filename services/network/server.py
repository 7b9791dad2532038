"""The network service's gRPC adapter (dockyard.network.v1.Networks): each RPC converts the
request, calls the service core (service.py) and converts the answer. No logic lives here."""

from __future__ import annotations

from typing import Any

from dockyard.network.v1 import network_pb2 as pb
from dockyard.network.v1 import network_pb2_grpc
from dockyard.services.network import netconfig
from dockyard.services.network.endpoints import EndpointRequest
from dockyard.services.network.manager import NetworkView, SandboxRequest, SandboxView
from dockyard.services.network.service import NetworkService
from dockyard.services.network.store import Port
from google.protobuf import empty_pb2

Context = Any


class NetworksServicer(network_pb2_grpc.NetworksServicer):
    def __init__(self, service: NetworkService) -> None:
        self._s = service

    # -- sandboxes --------------------------------------------------------------------------

    async def CreateSandbox(self, request: pb.CreateSandboxRequest, context: Context) -> pb.Sandbox:
        return _sandbox(await self._s.create_sandbox(_sandbox_request(request)))

    async def RemoveSandbox(
        self, request: pb.RemoveSandboxRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._s.remove_sandbox(request.container_id)
        return empty_pb2.Empty()

    async def ListSandboxes(
        self, request: pb.ListSandboxesRequest, context: Context
    ) -> pb.ListSandboxesResponse:
        views = await self._s.list_sandboxes()
        return pb.ListSandboxesResponse(sandboxes=[_sandbox(v) for v in views])

    async def Connect(self, request: pb.ConnectRequest, context: Context) -> pb.Sandbox:
        wanted = _endpoint_request(request.endpoint)
        return _sandbox(await self._s.connect(request.container_id, wanted))

    async def Disconnect(self, request: pb.DisconnectRequest, context: Context) -> pb.Sandbox:
        return _sandbox(await self._s.disconnect(request.container_id, request.network))

    async def UpdateHosts(
        self, request: pb.UpdateHostsRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._s.update_hosts(request.container_id, request.name, request.address)
        return empty_pb2.Empty()

    # -- networks ---------------------------------------------------------------------------

    async def CreateNetwork(self, request: pb.CreateNetworkRequest, context: Context) -> pb.Network:
        view = await self._s.create_network(
            request.name,
            request.driver,
            subnet=request.subnet,
            gateway=request.gateway,
            ip_range=request.ip_range,
            internal=request.internal,
            options=dict(request.options),
            labels=dict(request.labels),
            settings=netconfig.Settings(
                attachable=request.attachable,
                scope=request.scope,
                ipam_driver=request.ipam_driver,
                ipam_options=dict(request.ipam_options),
                aux_addresses=dict(request.aux_addresses),
                config_only=request.config_only,
                config_from=request.config_from,
                ingress=request.ingress,
                enable_ipv6=request.enable_ipv6,
            ),
        )
        return _network(view)

    async def RemoveNetwork(self, request: pb.NetworkRequest, context: Context) -> empty_pb2.Empty:
        await self._s.remove_network(request.id)
        return empty_pb2.Empty()

    async def GetNetwork(self, request: pb.NetworkRequest, context: Context) -> pb.Network:
        return _network(await self._s.get_network(request.id))

    async def ListNetworks(
        self, request: pb.ListNetworksRequest, context: Context
    ) -> pb.ListNetworksResponse:
        views = await self._s.list_networks()
        return pb.ListNetworksResponse(networks=[_network(v) for v in views])

    async def PruneNetworks(
        self, request: pb.PruneNetworksRequest, context: Context
    ) -> pb.PruneNetworksResponse:
        return pb.PruneNetworksResponse(removed=await self._s.prune_networks())


# -- messages -------------------------------------------------------------------------------


def _sandbox_request(request: pb.CreateSandboxRequest) -> SandboxRequest:
    cid = request.container_id
    return SandboxRequest(
        container_id=cid,
        mode=request.mode,
        hostname=request.hostname,
        name=request.name,
        endpoints=[_endpoint_request(e) for e in request.endpoints],
        ports=[
            Port(cid, p.protocol or "tcp", p.host_ip, p.host_port, p.container_port)
            for p in request.ports
        ],
        dns=list(request.dns),
        dns_search=list(request.dns_search),
        dns_options=list(request.dns_options),
        extra_hosts=list(request.extra_hosts),
        domainname=request.domainname,
        no_networks=request.no_networks,
    )


def _endpoint_request(message: pb.EndpointRequest) -> EndpointRequest:
    return EndpointRequest(
        network=message.network,
        aliases=list(message.aliases),
        ipv4_address=message.ipv4_address,
        mac_address=message.mac_address,
        links=list(message.links),
        link_local_ips=list(message.link_local_ips),
    )


def _sandbox(view: SandboxView) -> pb.Sandbox:
    sandbox = view.sandbox
    message = pb.Sandbox(
        container_id=sandbox.container_id,
        mode=sandbox.mode,
        netns_path=sandbox.netns_path,
        hosts_path=str(sandbox.hosts),
        resolv_conf_path=str(sandbox.resolv_conf),
        hostname_path=str(sandbox.hostname_file),
    )
    for endpoint, network in view.endpoints:
        message.endpoints.add(
            network_id=network.id,
            network_name=network.name,
            endpoint_id=endpoint.endpoint_id,
            ip_address=endpoint.address,
            prefix_len=network.net.prefixlen if network.subnet else 0,
            gateway=network.gateway,
            mac_address=endpoint.mac,
            aliases=endpoint.aliases,
            interface=endpoint.ifname,
            host_interface=endpoint.host_ifname,
        )
    for port in view.ports:
        message.ports.add(
            protocol=port.protocol,
            container_port=port.container_port,
            host_ip=port.host_ip,
            host_port=port.host_port,
        )
    return message


def _network(view: NetworkView) -> pb.Network:
    network = view.network
    message = pb.Network(
        id=network.id,
        name=network.name,
        driver=network.driver,
        scope=network.scope,
        subnet=network.subnet,
        gateway=network.gateway,
        ip_range=network.ip_range,
        internal=network.internal,
        options=network.options,
        labels=network.labels,
        interface=network.interface,
        gateway_unstated=network.gateway_unstated,
        attachable=network.attachable,
        ipam_driver=network.ipam_driver,
        ipam_options=network.ipam_options,
        aux_addresses=network.aux_addresses,
        config_only=network.config_only,
        config_from=network.config_from,
    )
    message.created.FromDatetime(network.created)
    for endpoint, name in view.members:
        message.containers.add(
            container_id=endpoint.container_id,
            name=name,
            endpoint_id=endpoint.endpoint_id,
            mac_address=endpoint.mac,
            ipv4_address=f"{endpoint.address}/{network.net.prefixlen}" if endpoint.address else "",
        )
    return message
