"""`network create|ls|inspect|rm|prune|connect|disconnect` and `port`, as docker's."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer
from dockyard.api.prunefilters import labelled
from dockyard.cli.engine import Stubs, call, die, error_line

app = typer.Typer(help="Manage networks", no_args_is_help=True)

LS_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE"}


@app.command("create")
def create(
    name: str = typer.Argument(..., metavar="NETWORK"),
    driver: str = typer.Option("bridge", "-d", "--driver", help="bridge | macvlan"),
    subnet: str = typer.Option("", "--subnet", help="CIDR (default: the next free one)"),
    gateway: str = typer.Option("", "--gateway", help="the gateway's address in the subnet"),
    ip_range: str = typer.Option("", "--ip-range", help="allocate container addresses from here"),
    internal: bool = typer.Option(False, "--internal", help="no traffic in or out"),
    opt: list[str] = typer.Option([], "-o", "--opt", help="driver options (parent=IF)"),
    label: list[str] = typer.Option([], "--label", help="set metadata"),
    ipv6: bool = typer.Option(False, "--ipv6", help="enable IPv6 networking (not supported)"),
    attachable: bool = typer.Option(False, "--attachable", help="enable manual attachment"),
    ingress: bool = typer.Option(False, "--ingress", help="swarm routing mesh (needs a swarm)"),
    scope: str = typer.Option("", "--scope", help="the network's scope (local)"),
    config_only: bool = typer.Option(False, "--config-only", help="a configuration only network"),
    config_from: str = typer.Option("", "--config-from", help="take the configuration of this"),
    ipam_driver: str = typer.Option("default", "--ipam-driver", help="IP address management"),
    ipam_opt: list[str] = typer.Option([], "--ipam-opt", help="IPAM driver options"),
    aux_address: list[str] = typer.Option(
        [], "--aux-address", help="auxiliary addresses (name=IP), never a container's"
    ),
) -> None:
    """Create a network; print its ID."""
    from dockyard.cli import options
    from dockyard.network.v1 import network_pb2 as pb

    aux = options.key_values(aux_address, "aux-address")
    _consolidate_ipam(subnet, ip_range, gateway, aux)
    request = pb.CreateNetworkRequest(
        name=name,
        driver=driver,
        subnet=subnet,
        gateway=gateway,
        ip_range=ip_range,
        internal=internal,
        options=options.key_values(opt, "opt"),
        labels=options.key_values(label, "label"),
        enable_ipv6=ipv6,
        attachable=attachable,
        ingress=ingress,
        scope=scope,
        config_only=config_only,
        config_from=config_from,
        ipam_driver=ipam_driver,
        ipam_options=options.key_values(ipam_opt, "ipam-opt"),
        aux_addresses=aux,
    )

    async def work(stubs: Stubs) -> str:
        return str((await stubs.networks.Create(request)).id)

    print(call("network create", work))


def _consolidate_ipam(subnet: str, ip_range: str, gateway: str, aux: dict[str, str]) -> None:
    """docker/cli's consolidateIpam for one subnet: each range, gateway and auxiliary address
    must have a subnet holding it (its words, before the daemon is asked)."""
    from ipaddress import ip_address, ip_network

    if (ip_range or gateway) and not subnet:
        die("every ip-range or gateway must have a corresponding subnet")
    if not (ip_range or gateway or aux):
        return  # a subnet alone is the daemon's to check
    try:
        net = ip_network(subnet, strict=False) if subnet else None
    except ValueError:
        die(f"invalid subnet: invalid CIDR address: {subnet}")

    def inside(text: str) -> bool:
        try:
            return net is not None and ip_address(text.split("/")[0]) in net
        except ValueError:
            return False

    for what, value in (("range", ip_range), ("gateway", gateway)):
        if value and not inside(value):
            die(f"no matching subnet for {what} {value}")
    for value in aux.values():
        if not inside(value):
            die(f"no matching subnet for aux-address {value}")


@app.command("ls")
def ls(
    quiet: bool = typer.Option(False, "-q", "--quiet", help="only IDs"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="full IDs"),
    format: str = typer.Option("", "--format", help="a Go template, table or json"),
    filter: list[str] = typer.Option(
        [], "-f", "--filter", help="name=, driver=, id=, label=, scope=, type=, dangling="
    ),
) -> None:
    """List networks."""
    from dockyard.cli import render
    from dockyard.cli.listing import format_rows
    from dockyard.network.v1 import network_pb2 as pb

    async def work(stubs: Stubs) -> list[Any]:
        return list((await stubs.networks.List(pb.ListNetworksRequest())).networks)

    chosen = ls_filter(filter)
    networks = [n for n in sorted(call("network ls", work), key=lambda n: n.name) if chosen(n)]
    rows = [
        {
            "ID": n.id if no_trunc else n.id[:12],
            "Name": n.name,
            "Driver": n.driver,
            "Scope": n.scope,
            "Internal": str(n.internal).lower(),
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(n.labels.items())),
            "IPv6": "false",
            "CreatedAt": render.go_time(n.created),
        }
        for n in networks
    ]
    if quiet:
        print("".join(f"{r['ID']}\n" for r in rows), end="")
        return
    template = format or "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
    print(format_rows(rows, template, LS_HEADERS, "*network.networkContext"), end="")


BUILTIN = ("bridge", "host", "none")
LS_FILTERS: dict[str, Callable[[Any, str], bool]] = {
    "name": lambda n, v: v in n.name,
    "driver": lambda n, v: v == n.driver,
    "id": lambda n, v: n.id.startswith(v),
    "label": lambda n, v: labelled(n.labels, v),
    "scope": lambda n, v: v == n.scope,
    "type": lambda n, v: (n.name in BUILTIN) == (v == "builtin"),
    "dangling": lambda n, v: (not n.containers) == (v in ("true", "1")),
}


def ls_filter(filters: list[str]) -> Callable[[Any], bool]:
    """docker's `network ls` filters: the values of one key OR (labels AND), keys AND; a bad
    one exits 1."""
    wanted: dict[str, list[str]] = {}
    for key, _, value in (f.partition("=") for f in filters):
        if key not in LS_FILTERS:
            die(f"Error response from daemon: Invalid filter '{key}'")
        if key == "type" and value not in ("custom", "builtin"):
            die(f"Error response from daemon: invalid filter: 'type'='{value}'")
        wanted.setdefault(key, []).append(value)
    return lambda n: all(
        (all if k == "label" else any)(LS_FILTERS[k](n, v) for v in vs) for k, vs in wanted.items()
    )


@app.command("inspect")
def inspect(
    networks: list[str] = typer.Argument(..., metavar="NETWORK..."),
    format: str = typer.Option("", "-f", "--format", help="a Go template"),
) -> None:
    """Show networks as docker's JSON."""
    from dockyard.api.errors import NotFound
    from dockyard.api.networkjson import network_json
    from dockyard.cli.listing import print_docs
    from dockyard.network.v1 import network_pb2 as pb

    async def work(stubs: Stubs) -> tuple[list[dict[str, Any]], int]:
        found, failures = [], 0
        for ref in networks:
            try:
                found.append(network_json(await stubs.networks.Inspect(pb.NetworkRequest(id=ref))))
            except NotFound:
                sys.stderr.write(f"Error: No such network: {ref}\n")
                failures += 1
        return found, failures

    docs, failures = call("network inspect", work)
    print_docs(docs, format, failures)


@app.command("rm")
def rm(networks: list[str] = typer.Argument(..., metavar="NETWORK...")) -> None:
    """Remove networks (not while containers run on them)."""
    from dockyard.api.errors import DockyardError
    from dockyard.network.v1 import network_pb2 as pb

    async def work(stubs: Stubs) -> int:
        failures = 0
        for ref in networks:
            try:
                await stubs.networks.Remove(pb.NetworkRequest(id=ref))
                print(ref)
            except DockyardError as err:
                sys.stderr.write(error_line(err, "network rm", ref) + "\n")
                failures += 1
        return failures

    if call("network rm", work):
        sys.exit(1)


@app.command("prune")
def prune(
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
    filter: list[str] = typer.Option([], "--filter", help="until=…, label=…, label!=…"),
) -> None:
    """Remove every user network no container uses."""
    from dockyard.cli.prune import prune_networks
    from dockyard.cli.volumes import confirm

    warning = "WARNING! This will remove all custom networks not used by at least one container."
    if not force and not confirm(warning):
        return
    removed = call("network prune", lambda stubs: prune_networks(stubs, filter))
    if removed:
        print("Deleted Networks:\n" + "".join(f"{name}\n" for name in removed))


@app.command("connect")
def connect(
    network: str = typer.Argument(..., metavar="NETWORK"),
    container: str = typer.Argument(..., metavar="CONTAINER"),
    alias: list[str] = typer.Option([], "--alias", help="more DNS names on the network"),
    ip: str = typer.Option("", "--ip", help="IPv4 address"),
    link: list[str] = typer.Option([], "--link", help="add link to another container"),
    link_local_ip: list[str] = typer.Option(
        [], "--link-local-ip", help="add a link-local address for the container"
    ),
    ip6: str = typer.Option("", "--ip6", help="IPv6 address"),
    driver_opt: list[str] = typer.Option([], "--driver-opt", help="driver options (key=value)"),
) -> None:
    """Connect a container to a network."""
    from dockyard.cli import runflags
    from dockyard.engine.v1 import engine_pb2 as pb

    request = pb.NetworkConnectRequest(
        network=network,
        container=container,
        aliases=alias,
        ipv4_address=ip,
        links=runflags.links(link),
        link_local_ips=[ip for value in link_local_ip for ip in value.split(",")],  # a slice flag
        ipv6_address=ip6,
        driver_opts=_driver_opts(driver_opt),
    )

    async def work(stubs: Stubs) -> None:
        await stubs.networks.Connect(request)

    call("network connect", work)


def _driver_opts(values: list[str]) -> dict[str, str]:
    """docker/cli's convertDriverOpt: comma-separated key=value pairs, spaces trimmed."""
    opts = {}
    for value in (v for given in values for v in given.split(",")):
        key, sep, rest = value.partition("=")
        if not sep:
            die("invalid key/value pair format in driver options")
        opts[key.strip()] = rest.strip()
    return opts


@app.command("disconnect")
def disconnect(
    network: str = typer.Argument(..., metavar="NETWORK"),
    container: str = typer.Argument(..., metavar="CONTAINER"),
    force: bool = typer.Option(False, "-f", "--force", help="even when not connected"),
) -> None:
    """Disconnect a container from a network."""
    from dockyard.engine.v1 import engine_pb2 as pb

    request = pb.NetworkDisconnectRequest(network=network, container=container, force=force)

    async def work(stubs: Stubs) -> None:
        await stubs.networks.Disconnect(request)

    call("network disconnect", work)


def port(
    container: str = typer.Argument(..., metavar="CONTAINER"),
    private: str = typer.Argument(None, metavar="[PRIVATE_PORT[/PROTO]]"),
) -> None:
    """List a container's published ports, or the mapping of one."""
    from dockyard.engine.v1 import engine_pb2 as pb

    async def work(stubs: Stubs) -> Any:
        return await stubs.containers.Inspect(pb.InspectContainerRequest(id=container))

    c = call("port", work)
    ports = list(c.network_settings.ports)
    if private:
        key = private if "/" in private else f"{private}/tcp"
        found = [b for b in ports if b.container_port == key]
        if not found:
            die(f"Error: No public port '{key}' published for {container}", 1)
        for b in found:
            print(f"{b.host_ip}:{b.host_port}")
        return
    for b in sorted(ports, key=lambda b: b.container_port):  # as docker's, by port and protocol
        print(f"{b.container_port} -> {b.host_ip}:{b.host_port}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="network")
    root.command()(port)
