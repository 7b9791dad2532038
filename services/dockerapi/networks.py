"""The network endpoints: create (with IPAM config), list (filters), inspect, connect,
disconnect (a container that is created but not started joins at its start), remove, prune."""

from __future__ import annotations

from aiohttp import web
from dockyard.api import errors
from dockyard.api.networkjson import network_json
from dockyard.engine.v1 import engine_pb2
from dockyard.network.v1 import network_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import UNARY
from dockyard.services.dockerapi.router import Routes, engine_of, param

BUILTIN = ("bridge", "host", "none")
LIST_FILTERS = ("name", "id", "driver", "label", "type", "scope", "dangling")


def register(routes: Routes) -> None:
    routes.add("GET", "/networks", list_networks)
    routes.add("POST", "/networks/create", create)
    routes.add("POST", "/networks/prune", prune)
    routes.add("GET", "/networks/{id}", inspect)
    routes.add("DELETE", "/networks/{id}", remove)
    routes.add("POST", "/networks/{id}/connect", connect)
    routes.add("POST", "/networks/{id}/disconnect", disconnect)


async def list_networks(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - set(LIST_FILTERS))
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    reply = await engine_of(request).networks.List(network_pb2.ListNetworksRequest(), **UNARY)
    found = [n for n in reply.networks if _matches(n, wanted)]
    return replies.reply([network_json(n, containers=False) for n in found])


def _matches(n: network_pb2.Network, wanted: dict[str, list[str]]) -> bool:
    def one(key: str, value: str) -> bool:
        if key == "name":
            return value in n.name
        if key == "id":
            return n.id.startswith(value)
        if key == "driver":
            return n.driver == value
        if key == "type":
            return (n.name in BUILTIN) == (value == "builtin")
        if key == "scope":
            return value == "local"
        if key == "dangling":
            return (not n.containers and n.name not in BUILTIN) == (value in params.TRUE)
        name, sep, want = value.partition("=")
        return name in n.labels and (not sep or n.labels[name] == want)

    return all(any(one(k, v) for v in values) for k, values in wanted.items() if values)


async def inspect(request: web.Request) -> web.StreamResponse:
    n = await engine_of(request).networks.Inspect(
        network_pb2.NetworkRequest(id=param(request, "id")), **UNARY
    )
    return replies.reply(network_json(n))


async def create(request: web.Request) -> web.StreamResponse:
    body = params.Fields(await params.body(request))
    if not body.text("Name"):
        raise errors.InvalidArgument("network name is required")
    configs = body.obj("IPAM").objects("Config")
    if len(configs) > 1:
        raise errors.InvalidArgument("only one IPAM config (one IPv4 subnet) is supported")
    ipam = configs[0] if configs else params.Fields({})
    message = network_pb2.CreateNetworkRequest(
        name=body.text("Name"),
        driver=body.text("Driver") or "bridge",
        subnet=ipam.text("Subnet"),
        gateway=ipam.text("Gateway"),
        ip_range=ipam.text("IPRange"),
        internal=body.flag("Internal"),
        options=body.text_map("Options"),
        labels=body.text_map("Labels"),
        enable_ipv6=body.flag("EnableIPv6"),
        attachable=body.flag("Attachable"),
        ingress=body.flag("Ingress"),
        scope=body.text("Scope"),
        config_only=body.flag("ConfigOnly"),
        config_from=body.obj("ConfigFrom").text("Network"),
        ipam_driver=body.obj("IPAM").text("Driver"),
        ipam_options=body.obj("IPAM").text_map("Options"),
        aux_addresses=ipam.text_map("AuxiliaryAddresses"),
    )
    n = await engine_of(request).networks.Create(message, **UNARY)
    return replies.reply({"Id": n.id, "Warning": ""}, 201)


async def remove(request: web.Request) -> web.StreamResponse:
    await engine_of(request).networks.Remove(
        network_pb2.NetworkRequest(id=param(request, "id")), **UNARY
    )
    return replies.no_content()


async def connect(request: web.Request) -> web.StreamResponse:
    body = params.Fields(await params.body(request))
    settings = body.obj("EndpointConfig")
    message = engine_pb2.NetworkConnectRequest(
        network=param(request, "id"),
        container=body.text("Container"),
        aliases=settings.texts("Aliases"),
        ipv4_address=settings.obj("IPAMConfig").text("IPv4Address"),
        links=settings.texts("Links"),
        link_local_ips=settings.obj("IPAMConfig").texts("LinkLocalIPs"),
        ipv6_address=settings.obj("IPAMConfig").text("IPv6Address"),
        driver_opts=settings.text_map("DriverOpts"),
    )
    await engine_of(request).networks.Connect(message, **UNARY)
    return web.Response(status=200)


async def disconnect(request: web.Request) -> web.StreamResponse:
    body = params.Fields(await params.body(request))
    message = engine_pb2.NetworkDisconnectRequest(
        network=param(request, "id"), container=body.text("Container"), force=body.flag("Force")
    )
    await engine_of(request).networks.Disconnect(message, **UNARY)
    return web.Response(status=200)


async def prune(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - {"until", "label"})
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    for value in wanted.get("until", []):
        params.until_seconds(value)  # refused before anything goes, even with nothing to prune
    engine = engine_of(request)
    if not wanted:
        reply = await engine.networks.Prune(network_pb2.PruneNetworksRequest(), **UNARY)
        return replies.reply({"NetworksDeleted": list(reply.removed) or None})
    listing = await engine.networks.List(network_pb2.ListNetworksRequest(), **UNARY)
    deleted = []
    for n in listing.networks:
        if n.name in BUILTIN or n.containers or not _matches(n, {"label": wanted.get("label", [])}):
            continue
        if any(n.created.seconds >= params.until_seconds(v) for v in wanted.get("until", [])):
            continue
        try:
            await engine.networks.Remove(network_pb2.NetworkRequest(id=n.id), **UNARY)
        except (errors.NotFound, errors.FailedPrecondition):
            continue
        deleted.append(n.name)
    return replies.reply({"NetworksDeleted": deleted or None})
