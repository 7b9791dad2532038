"""Networking against real namespaces, veths, bridges, nftables and the embedded DNS.

All traffic stays on loopback and in the engine's own namespaces. Note: Debian's busybox
1.35 `wget` segfaults with `-O-` and with `-T`; `-O -` without a timeout works.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
from collections.abc import Callable

import pytest

from tests.integration.network.conftest import (
    curl,
    free_subnet,
    http_get,
    kill_network_service,
    network_doc,
    nft_set,
    web,
)
from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import Registry, free_port

pytestmark = pytest.mark.integration


def fetch(url: str) -> str:
    """A shell loop fetching `url` from inside a container, retried while the server starts."""
    return f"for i in $(seq 50); do wget -q -O - {url} && exit 0; sleep 0.1; done; exit 1"


def inspect(engine: Engine, container: str) -> dict:  # type: ignore[type-arg]
    return json.loads(engine.ok("inspect", container))[0]


def resolved(engine: Engine, container: str, name: str) -> list[str]:
    """The addresses the embedded DNS gives `container` for `name` (asked from inside it)."""
    out = engine.cli("exec", container, "nslookup", name, "127.0.0.11").stdout
    return [
        line.split()[-1]
        for line in out.split("127.0.0.11:53", 1)[-1].splitlines()
        if line.startswith("Address")
    ]


def bridge_subnet(engine: Engine) -> ipaddress.IPv4Network:
    doc = json.loads(engine.ok("network", "inspect", "bridge"))[0]
    return ipaddress.IPv4Network(doc["IPAM"]["Config"][0]["Subnet"])


def test_predefined_networks_and_a_subnet_clear_of_docker0_and_host_routes(engine: Engine) -> None:
    listed = engine.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}").split("\n")
    assert {"bridge bridge", "host host", "none null"} <= set(listed)
    subnet = bridge_subnet(engine)
    assert not subnet.overlaps(ipaddress.IPv4Network("172.17.0.0/16"))
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    bridge = json.loads(engine.config.read_text())["bridge"]
    for line in routes.splitlines():
        dst = line.split()[0]
        if dst != "default" and f"dev {bridge} " not in line:
            assert not subnet.overlaps(ipaddress.IPv4Network(dst, strict=False)), line


def test_default_bridge_gives_an_address_route_and_etc_files(engine: Engine, busybox: str) -> None:
    out = engine.ok(
        "run",
        "--rm",
        "--hostname",
        "boat",
        busybox,
        "sh",
        "-c",
        "ip -4 addr show eth0; ip route; cat /etc/hosts; cat /etc/hostname",
    )
    subnet = bridge_subnet(engine)
    address = next(w for w in out.split() if "/" in w and w[0].isdigit())
    assert ipaddress.IPv4Interface(address).ip in subnet
    assert f"default via {subnet.network_address + 1} dev eth0" in out
    assert f"{address.split('/')[0]}\tboat" in out
    assert out.rstrip().endswith("boat")


def test_containers_on_one_network_reach_each_other(engine: Engine, busybox: str) -> None:
    server = engine.ok("run", "-d", busybox, *web("ahoy")).strip()
    ip = inspect(engine, server)["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    assert ipaddress.IPv4Address(ip) in bridge_subnet(engine)
    assert engine.ok("run", "--rm", busybox, "sh", "-c", fetch(f"http://{ip}/")) == "ahoy\n"


def test_published_port_on_loopback_and_from_another_container(
    engine: Engine, busybox: str
) -> None:
    port = free_port()
    engine.ok("run", "-d", "--name", "pub", "-p", f"127.0.0.1:{port}:80", busybox, *web("hello"))
    assert http_get(f"http://127.0.0.1:{port}/") == "hello\n"
    assert curl(f"http://127.0.0.1:{port}/").stdout == "hello\n"
    assert engine.ok("port", "pub") == f"80/tcp -> 127.0.0.1:{port}\n"
    assert f"127.0.0.1:{port}->80/tcp" in engine.ok("ps", "--format", "{{.Ports}}")
    # through the gateway, as another container sees the host
    gateway = bridge_subnet(engine).network_address + 1
    other = engine.cli("run", "--rm", busybox, "sh", "-c", fetch(f"http://{gateway}:{port}/"))
    assert other.returncode == 1  # published on 127.0.0.1 only: not on the gateway
    engine.ok("rm", "-f", "pub")
    engine.ok("run", "-d", "--name", "pub", "-p", f"{port}:80", busybox, *web("again"))
    got = engine.ok("run", "--rm", busybox, "sh", "-c", fetch(f"http://{gateway}:{port}/"))
    assert got == "again\n"


def test_a_free_host_port_and_no_proxy_process(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "anyport", "-p", "80", busybox, *web("free"))
    mapping = engine.ok("port", "anyport", "80").strip()
    host_ip, _, host_port = mapping.rpartition(":")
    assert host_ip == "0.0.0.0" and int(host_port) > 0
    assert http_get(f"http://127.0.0.1:{host_port}/") == "free\n"


def test_publish_all_exposes_the_image_ports(
    engine: Engine, registry: Registry, busybox: str
) -> None:
    image = images.busybox_image(ExposedPorts={"80/tcp": {}, "8080/tcp": {}}, Cmd=web("exposed"))
    images.push(registry, "test/web", "v1", image)
    ref = f"{registry.host}/test/web:v1"
    engine.ok("pull", ref)
    engine.ok("run", "-d", "--name", "exposed", "-P", ref)
    lines = engine.ok("port", "exposed").splitlines()
    assert sorted(line.split(" -> ")[0] for line in lines) == ["80/tcp", "8080/tcp"]
    port80 = engine.ok("port", "exposed", "80/tcp").strip().rpartition(":")[2]
    assert http_get(f"http://127.0.0.1:{port80}/") == "exposed\n"
    engine.ok("rm", "-f", "exposed")
    engine.ok("rmi", ref)


def test_a_taken_host_port_is_a_clear_error(engine: Engine, busybox: str) -> None:
    port = free_port()
    engine.ok("run", "-d", "--name", "first", "-p", f"{port}:80", busybox, *web("one"))
    clash = engine.cli(
        "run", "-d", "--name", "second", "-p", f"127.0.0.1:{port}:80", busybox, "true"
    )
    assert clash.returncode == 125
    assert f"{port} failed: port is already allocated" in clash.stderr
    assert len([x for x in clash.stderr.splitlines() if not x.startswith("See '")]) == 1
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "second") == "false\n"
    assert http_get(f"http://127.0.0.1:{port}/") == "one\n"  # the first keeps its port
    with socket.socket() as sock, pytest.raises(OSError):  # nor can a host process
        sock.bind(("0.0.0.0", port))


def test_rules_go_when_the_container_stops_and_come_back_when_it_starts(
    engine: Engine, busybox: str
) -> None:
    port = free_port()
    engine.ok("run", "-d", "--name", "cycle", "-p", f"{port}:80", busybox, *web("cycle"))
    assert http_get(f"http://127.0.0.1:{port}/") == "cycle\n"
    engine.ok("stop", "-t", "1", "cycle")
    assert engine.leaked_rules() == [] and engine.leaked_links() == []
    assert curl(f"http://127.0.0.1:{port}/").stdout == ""
    engine.ok("start", "cycle")
    assert http_get(f"http://127.0.0.1:{port}/") == "cycle\n"
    assert engine.ok("port", "cycle") == f"80/tcp -> 0.0.0.0:{port}\n"


def test_user_network_names_aliases_and_hostnames_resolve(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network()
    engine.ok(
        "run",
        "-d",
        "--name",
        "api",
        "--network",
        net,
        "--network-alias",
        "backend",
        "--net-alias",  # docker's hidden spelling
        "back2",
        "--hostname",
        "apihost",
        busybox,
        *web("api", 8000),
    )
    for name in ("api", "backend", "back2", "apihost"):
        got = engine.ok(
            "run", "--rm", "--network", net, busybox, "sh", "-c", fetch(f"http://{name}:8000/")
        )
        assert got == "api\n", name
    resolv = engine.ok("run", "--rm", "--network", net, busybox, "cat", "/etc/resolv.conf")
    assert resolv.startswith("nameserver 127.0.0.11\n")
    # not on the default bridge: no names there
    default = engine.cli("run", "--rm", busybox, "nslookup", "api", "127.0.0.11")
    assert default.returncode != 0
    # containers of another network are not answered for
    other = network()
    out = engine.cli("run", "--rm", "--network", other, busybox, "nslookup", "api", "127.0.0.11")
    assert "Address: " not in out.stdout.split("127.0.0.11:53", 1)[-1]


def test_ipam_config_names_the_gateway_docker_names(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    """docker's IPAM.Config says what was asked for: a subnet given without a gateway shows
    no gateway (though the network has one); a subnet the engine chose shows the one it chose."""
    subnet = free_subnet()
    given = network("--subnet", subnet)
    config = json.loads(engine.ok("network", "inspect", given))[0]["IPAM"]["Config"]
    assert config == [{"Subnet": subnet}]
    cid = engine.ok("run", "-d", "--network", given, busybox, "sleep", "60").strip()
    gateway = inspect(engine, cid)["NetworkSettings"]["Networks"][given]["Gateway"]
    assert ipaddress.IPv4Address(gateway) == ipaddress.IPv4Network(subnet).network_address + 1
    chosen = network()
    config = json.loads(engine.ok("network", "inspect", chosen))[0]["IPAM"]["Config"]
    assert list(config[0]) == ["Subnet", "Gateway"] and config[0]["Gateway"]


def test_network_create_options_inspect_and_static_ip(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    subnet = ipaddress.IPv4Network(free_subnet())
    gateway = subnet.network_address + 254
    ip_range = f"{subnet.network_address + 128}/25"
    net = network(
        "--subnet",
        str(subnet),
        "--gateway",
        str(gateway),
        "--ip-range",
        ip_range,
        "--label",
        "team=a",
    )
    text = engine.ok("network", "inspect", "-f", "{{json .IPAM.Config}}", net).strip()
    wanted = {"Subnet": str(subnet), "IPRange": ip_range, "Gateway": str(gateway)}
    assert text == json.dumps([wanted], separators=(",", ":"))  # docker's order of fields
    doc = json.loads(engine.ok("network", "inspect", net))[0]
    assert doc["Driver"] == "bridge" and doc["Labels"] == {"team": "a"}
    dynamic = engine.ok("run", "-d", "--network", net, busybox, "sleep", "60").strip()
    static_ip = str(subnet.network_address + 10)
    fixed = engine.ok(
        "run", "-d", "--network", net, "--ip", static_ip, busybox, "sleep", "60"
    ).strip()
    got = inspect(engine, dynamic)["NetworkSettings"]["Networks"][net]
    assert ipaddress.IPv4Address(got["IPAddress"]) in ipaddress.IPv4Network(ip_range)
    assert got["Gateway"] == str(gateway)
    assert inspect(engine, fixed)["NetworkSettings"]["Networks"][net]["IPAddress"] == static_ip
    members = json.loads(engine.ok("network", "inspect", net))[0]["Containers"]
    assert set(members) == {dynamic, fixed}
    taken = engine.cli("run", "-d", "--network", net, "--ip", static_ip, busybox, "true")
    assert taken.returncode == 125 and "already in use" in taken.stderr


def test_network_bad_input(engine: Engine, busybox: str, network: Callable[..., str]) -> None:
    subnet = free_subnet()
    net = network("--subnet", subnet)
    cases = [
        (("network", "create", "--subnet", subnet, "overlapping"), "overlaps"),
        (
            ("network", "create", "--subnet", "10.241.0.0/24", "--gateway", "10.242.0.1", "gw"),
            "no matching subnet for gateway 10.242.0.1",  # docker/cli's consolidateIpam
        ),
        (("network", "create", net), "already exists"),
        (("network", "create", "--subnet", "not-a-subnet", "bad"), "invalid subnet"),
        (("network", "create", "-d", "overlay", "ov"), "not supported"),
        (("network", "rm", "nosuchnet"), "Error: No such network: nosuchnet"),  # docker's
        (("network", "rm", "bridge"), "pre-defined"),
        (("run", "--rm", "--network", "nosuchnet", busybox, "true"), "network nosuchnet not found"),
        (("run", "--rm", "--ip", "10.199.0.9", busybox, "true"), "user defined networks only"),
    ]
    for args, message in cases:
        result = engine.cli(*args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert "overlapping" not in engine.ok("network", "ls")
    engine.ok("run", "-d", "--name", "user", "--network", net, busybox, "sleep", "60")
    busy = engine.cli("network", "rm", net)
    assert busy.returncode == 1 and busy.stderr.endswith("has active endpoints\n")
    engine.ok("rm", "-f", "user")
    assert engine.ok("network", "rm", net) == f"{net}\n"


def test_a_create_refused_for_its_network_leaves_no_layer_nor_directory(
    engine: Engine, busybox: str
) -> None:
    """The network is checked while the writable layer and the container's directory are
    made: a refusal undoes both."""
    containers = engine.root / "engine" / "containers"
    before = engine.snapshot_dirs(), sorted(containers.iterdir())
    result = engine.cli("create", "--network", "nosuchnet", busybox, "true")
    assert result.returncode == 1 and "network nosuchnet not found" in result.stderr
    assert (engine.snapshot_dirs(), sorted(containers.iterdir())) == before


def test_connect_and_disconnect_a_running_container(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network()
    engine.ok("run", "-d", "--name", "srv", "--network", net, busybox, *web("joined"))
    engine.ok("run", "-d", "--name", "roamer", busybox, "sleep", "60")
    engine.ok("network", "connect", "--alias", "wanderer", net, "roamer")
    assert "eth1" in engine.ok("exec", "roamer", "ip", "link")
    assert engine.ok("exec", "roamer", "sh", "-c", fetch("http://srv/")) == "joined\n"
    got = engine.ok("run", "--rm", "--network", net, busybox, "nslookup", "wanderer", "127.0.0.11")
    assert "Address: " in got.split("127.0.0.11:53", 1)[1]
    again = engine.cli("network", "connect", net, "roamer")
    assert again.returncode != 0 and "already exists" in again.stderr
    engine.ok("network", "disconnect", net, "roamer")
    assert "eth1" not in engine.ok("exec", "roamer", "ip", "link")
    assert net not in inspect(engine, "roamer")["NetworkSettings"]["Networks"]


def test_a_container_disconnected_from_its_only_network_starts_on_none(
    engine: Engine, busybox: str
) -> None:
    """As docker's: no network left means loopback alone at the next start, not the bridge of
    its network mode again (Networks stays empty; NetworkMode stays what it was)."""
    engine.ok("run", "-d", "--name", "alone", busybox, "sleep", "60")
    engine.ok("network", "disconnect", "bridge", "alone")
    assert inspect(engine, "alone")["NetworkSettings"]["Networks"] == {}
    engine.ok("restart", "-t", "0", "alone")
    links = engine.ok("exec", "alone", "ip", "-o", "link")
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
    doc = inspect(engine, "alone")
    assert (doc["NetworkSettings"]["Networks"], doc["HostConfig"]["NetworkMode"]) == ({}, "default")
    assert doc["NetworkSettings"]["IPAddress"] == ""
    engine.ok("network", "connect", "bridge", "alone")  # and back, while it runs
    assert "eth0" in engine.ok("exec", "alone", "ip", "-o", "link")
    assert inspect(engine, "alone")["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]


def test_none_host_and_container_modes(engine: Engine, busybox: str) -> None:
    links = engine.ok("run", "--rm", "--network", "none", busybox, "ip", "-o", "link")
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
    host_links = engine.ok("run", "--rm", "--network", "host", busybox, "ip", "-o", "link")
    assert "eth0" in host_links and len(host_links.splitlines()) > 1
    owner = engine.ok("run", "-d", "--name", "owner", busybox, "sleep", "60").strip()
    ip = inspect(engine, owner)["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    shared = engine.ok("run", "--rm", "--network", "container:owner", busybox, "ip", "-4", "addr")
    assert f"inet {ip}/" in shared
    engine.ok("stop", "-t", "0", "owner")
    joined = engine.cli("run", "--rm", "--network", "container:owner", busybox, "true")
    assert joined.returncode == 125 and "non running container" in joined.stderr


def test_host_and_none_containers_have_an_endpoint_on_their_network(
    engine: Engine, busybox: str
) -> None:
    """As docker's: the network's ID and an endpoint without an address while it runs (the
    endpoint goes with a stop, the network's ID stays); `network inspect` and `ps` name it."""
    for mode in ("host", "none"):
        network_id = engine.ok("network", "inspect", "-f", "{{.Id}}", mode).strip()
        engine.ok("run", "-d", "--name", f"in-{mode}", "--network", mode, busybox, "sleep", "60")
        got = inspect(engine, f"in-{mode}")["NetworkSettings"]["Networks"]
        assert list(got) == [mode] and got[mode]["NetworkID"] == network_id
        endpoint_id = got[mode]["EndpointID"]
        assert len(endpoint_id) == 64 and got[mode]["IPAddress"] == ""
        members = json.loads(engine.ok("network", "inspect", "-f", "{{json .Containers}}", mode))
        assert [(m["Name"], m["EndpointID"], m["IPv4Address"]) for m in members.values()] == [
            (f"in-{mode}", endpoint_id, "")
        ]
        listed = engine.ok("ps", "--filter", f"network={mode}", "--format", "{{.Names}}")
        assert listed.split() == [f"in-{mode}"]
        engine.ok("stop", "-t", "0", f"in-{mode}")
        got = inspect(engine, f"in-{mode}")["NetworkSettings"]["Networks"][mode]
        assert (got["NetworkID"], got["EndpointID"]) == (network_id, "")
        assert engine.ok("network", "inspect", "-f", "{{json .Containers}}", mode) == "{}\n"
        engine.ok("rm", f"in-{mode}")


def test_internal_network_has_no_way_out(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network("--internal")
    routes = engine.ok("run", "--rm", "--network", net, busybox, "ip", "route")
    assert "default" not in routes


def test_dns_and_add_host_flags(engine: Engine, busybox: str) -> None:
    out = engine.ok(
        "run",
        "--rm",
        "--dns",
        "10.250.0.53",
        "--dns-search",
        "example.test",
        "--dns-option",
        "ndots:2",
        "--dns-opt",  # docker's hidden spelling
        "timeout:3",
        "--add-host",
        "db.local:10.250.0.7",
        busybox,
        "sh",
        "-c",
        "cat /etc/resolv.conf /etc/hosts",
    )
    assert "nameserver 10.250.0.53\n" in out and "search example.test\n" in out
    assert "options ndots:2 timeout:3\n" in out
    assert "10.250.0.7\tdb.local\n" in out
    bad = engine.cli("run", "--rm", "--add-host", "db:not-an-ip", busybox, "true")
    assert bad.returncode != 0 and "invalid IP address" in bad.stderr


def test_macvlan_on_a_parent_the_test_makes(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    parent = f"dymv{os.urandom(3).hex()}"
    subprocess.run(
        ["ip", "link", "add", parent, "type", "veth", "peer", "name", f"{parent}p"], check=True
    )
    try:
        for link in (parent, f"{parent}p"):
            subprocess.run(["ip", "link", "set", link, "up"], check=True)
        subnet = ipaddress.IPv4Network(free_subnet())
        net = network("-d", "macvlan", "--subnet", str(subnet), "-o", f"parent={parent}")
        engine.ok("run", "-d", "--name", "mv1", "--network", net, busybox, *web("macvlan"))
        ip = inspect(engine, "mv1")["NetworkSettings"]["Networks"][net]["IPAddress"]
        assert ipaddress.IPv4Address(ip) in subnet
        got = engine.ok("run", "--rm", "--network", net, busybox, "sh", "-c", fetch("http://mv1/"))
        assert got == "macvlan\n"
        engine.remove_all_containers()
        missing = engine.cli("network", "create", "-d", "macvlan", "nomv")
        assert missing.returncode != 0 and "parent" in missing.stderr
    finally:
        subprocess.run(["ip", "link", "del", parent], check=False)


def test_killed_network_service_repairs_and_running_containers_keep_addresses(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network()
    port = free_port()
    engine.ok(
        "run", "-d", "--name", "keeper", "--network", net, "-p", f"{port}:80", busybox, *web("kept")
    )
    engine.ok("run", "-d", "--name", "asker", "--network", net, busybox, "sleep", "600")
    before = inspect(engine, "keeper")["NetworkSettings"]["Networks"][net]["IPAddress"]
    assert http_get(f"http://127.0.0.1:{port}/") == "kept\n"
    assert resolved(engine, "asker", "keeper") == [before]
    kill_network_service(engine)
    assert net in engine.ok("network", "ls")
    assert http_get(f"http://127.0.0.1:{port}/") == "kept\n"
    # names are answered at once, before any container joins or leaves a network
    assert resolved(engine, "asker", "keeper") == [before]
    assert (
        engine.ok("run", "--rm", "--network", net, busybox, "sh", "-c", fetch("http://keeper/"))
        == "kept\n"
    )
    fresh = engine.ok("run", "-d", "--network", net, busybox, "sleep", "60").strip()
    assert inspect(engine, fresh)["NetworkSettings"]["Networks"][net]["IPAddress"] != before
    assert inspect(engine, "keeper")["NetworkSettings"]["Networks"][net]["IPAddress"] == before


class Upstream:
    """A DNS server on 127.0.0.1:53 answering every A question with one address."""

    def __init__(self, address: str) -> None:
        import threading

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.settimeout(0.2)
        self.address = address
        self.asked: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        from dockyard.services.network import dns

        while self.running:
            try:
                data, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            question = dns.parse_question(data)
            if question is not None:
                self.asked.append(question[2])
                self.sock.sendto(dns.answer(data, question[4], question[3], [self.address]), peer)

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def test_other_names_are_forwarded_to_the_upstream_resolvers(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    # the session engine's daemon config names 127.0.0.1 as the containers' nameserver
    try:
        upstream = Upstream("10.250.9.9")
    except OSError as err:
        pytest.skip(f"127.0.0.1:53 is taken on this host: {err}")
    try:
        net = network()
        out = engine.ok("run", "--rm", "--network", net, busybox, "nslookup", "outside.test")
        assert "Address: 10.250.9.9" in out.split("127.0.0.11:53", 1)[1]
        assert "outside.test" in upstream.asked
    finally:
        upstream.close()


def test_networks_and_addresses_survive_daemon_stop_and_start(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network()
    port = free_port()
    engine.ok(
        "run", "-d", "--name", "stays", "--network", net, "-p", f"{port}:80", busybox, *web("stays")
    )
    engine.ok("run", "-d", "--name", "asker", "--network", net, busybox, "sleep", "600")
    before = inspect(engine, "stays")["NetworkSettings"]["Networks"][net]["IPAddress"]
    engine.stop()
    assert http_get(f"http://127.0.0.1:{port}/") == "stays\n"  # the kernel forwards, no service
    engine.restart()
    assert net in engine.ok("network", "ls")
    assert resolved(engine, "asker", "stays") == [before]  # before anything joins or leaves
    assert inspect(engine, "stays")["NetworkSettings"]["Networks"][net]["IPAddress"] == before
    assert http_get(f"http://127.0.0.1:{port}/") == "stays\n"
    got = engine.ok("run", "--rm", "--network", net, busybox, "sh", "-c", fetch("http://stays/"))
    assert got == "stays\n"


def test_start_up_repair_removes_orphan_links_and_namespaces(engine: Engine, busybox: str) -> None:
    """What a crash half way could leave (a veth, a bridge, a namespace nobody records) goes."""
    tag = engine.network_tag
    veth, bridge = f"v{tag}0rphan000", f"dy{tag}-0rphan00"
    netns = engine.state / "network" / "netns" / ("0" * 64)
    subprocess.run(
        ["ip", "link", "add", veth, "type", "veth", "peer", "name", f"{veth[:11]}p"], check=True
    )
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True)
    netns.touch()
    subprocess.run(["mount", "--bind", "/proc/self/ns/net", str(netns)], check=True)
    engine.ok("run", "-d", "--name", "bystander", "-p", "80", busybox, *web("bystander"))
    port = engine.ok("port", "bystander", "80").strip().rpartition(":")[2]
    try:
        kill_network_service(engine)
        links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
        assert veth not in links and bridge not in links
        assert not netns.exists()
        assert http_get(f"http://127.0.0.1:{port}/") == "bystander\n"  # the living keep working
    finally:
        subprocess.run(["ip", "link", "del", veth], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        subprocess.run(["umount", str(netns)], capture_output=True, check=False)
        netns.unlink(missing_ok=True)


def test_prune_removes_only_unused_user_networks(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    used, unused = network(), network()
    engine.ok("run", "-d", "--network", used, busybox, "sleep", "60")
    out = engine.ok("network", "prune", "-f")
    assert out.startswith("Deleted Networks:\n") and unused in out and used not in out
    names = engine.ok("network", "ls", "--format", "{{.Name}}").split()
    assert used in names and unused not in names and {"bridge", "host", "none"} <= set(names)
    assert engine.ok("network", "ls", "-q", "--filter", f"name={used}").strip()


def test_a_forward_policy_of_drop_does_not_cut_our_bridges(engine: Engine, busybox: str) -> None:
    """Docker (iptables mode) sets FORWARD to DROP, which with br_netfilter drops bridged
    traffic too: our bridges get their own ACCEPTs while that lasts, and lose them after."""
    comment = f"dockyard_{engine.network_tag}"
    policy = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True).stdout
    if "-P FORWARD DROP" in policy:
        pytest.skip("this host already drops forwarded traffic")
    had_filter = (
        "table ip filter\n"
        in subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    )
    subprocess.run(["iptables", "-P", "FORWARD", "DROP"], check=True)
    try:
        port = free_port()
        server = engine.ok("run", "-d", "-p", f"{port}:80", busybox, *web("through")).strip()
        ip = inspect(engine, server)["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        assert engine.ok("run", "--rm", busybox, "sh", "-c", fetch(f"http://{ip}/")) == "through\n"
        gateway = bridge_subnet(engine).network_address + 1
        got = engine.ok("run", "--rm", busybox, "sh", "-c", fetch(f"http://{gateway}:{port}/"))
        assert got == "through\n"
        rules = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True).stdout
        assert rules.count(comment) == 2  # in and out of the default bridge
    finally:
        subprocess.run(["iptables", "-P", "FORWARD", "ACCEPT"], check=True)
    engine.ok("run", "--rm", busybox, "true")  # the next change of rules drops the exceptions
    rules = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True).stdout
    assert comment not in rules
    if not had_filter:  # iptables made its table for this test: leave the host as it was
        subprocess.run(["nft", "delete", "table", "ip", "filter"], check=False)


def test_distinct_networks_do_not_reach_each_other_except_by_a_published_port(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    one, two = network(), network()
    port = free_port()
    engine.ok(
        "run", "-d", "--name", "island", "--network", one, "-p", f"{port}:80", busybox, *web("isle")
    )
    ip = inspect(engine, "island")["NetworkSettings"]["Networks"][one]["IPAddress"]
    gateway = json.loads(engine.ok("network", "inspect", two))[0]["IPAM"]["Config"][0]["Gateway"]
    direct = f"wget -q -O - http://{ip}/ & sleep 3; kill $! 2>/dev/null && exit 7; wait $!"
    blocked = engine.cli("run", "--rm", "--network", two, busybox, "sh", "-c", direct)
    assert blocked.returncode != 0 and "isle" not in blocked.stdout
    published = fetch(f"http://{gateway}:{port}/")
    assert engine.ok("run", "--rm", "--network", two, busybox, "sh", "-c", published) == "isle\n"


def test_enable_icc_false_keeps_containers_apart_but_for_published_ports(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    """libnetwork's enable_icc=false: containers on the network do not reach each other
    (`-i br -o br -j DROP`), but still reach the host, and each other's published ports; a
    network with the default keeps its containers in touch, and the isolation goes with it."""
    icc = "com.docker.network.bridge.enable_icc"
    apart, together = network("-o", f"{icc}=false"), network()
    assert network_doc(engine, apart)["Options"][icc] == "false"
    port = free_port()
    for net, text in ((apart, "apart"), (together, "together")):
        engine.ok("run", "-d", "--name", f"web-{text}", "--network", net, busybox, *web(text))
    engine.ok(
        "run", "-d", "--name", "pub-apart", "--network", apart, "-p", f"{port}:80", busybox,
        *web("published"),
    )  # fmt: skip
    direct = "wget -q -O - http://{}/ & sleep 3; kill $! 2>/dev/null && exit 7; wait $!"
    ip = inspect(engine, "web-apart")["NetworkSettings"]["Networks"][apart]["IPAddress"]
    up = engine.ok("exec", "web-apart", "sh", "-c", fetch("http://127.0.0.1/"))
    assert up == "apart\n"  # it serves: what follows is refused by the network, not by it
    blocked = engine.cli("run", "--rm", "--network", apart, busybox, "sh", "-c", direct.format(ip))
    assert blocked.returncode != 0 and "apart" not in blocked.stdout
    gateway = json.loads(engine.ok("network", "inspect", apart))[0]["IPAM"]["Config"][0]["Gateway"]
    published = fetch(f"http://{gateway}:{port}/")
    assert engine.ok("run", "--rm", "--network", apart, busybox, "sh", "-c", published) == (
        "published\n"
    )
    assert http_get(f"http://127.0.0.1:{port}/") == "published\n"
    ip = inspect(engine, "web-together")["NetworkSettings"]["Networks"][together]["IPAddress"]
    reached = fetch(f"http://{ip}/")
    assert engine.ok("run", "--rm", "--network", together, busybox, "sh", "-c", reached) == (
        "together\n"
    )
    engine.ok("rm", "-f", "web-apart", "pub-apart")
    engine.ok("network", "rm", apart)
    assert nft_set(engine, "isolated") == ""  # its element went with it


def test_host_binding_ipv4_and_enable_ip_masquerade_false(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    """libnetwork's host_binding_ipv4: a port published without a host address is bound to
    that one (inspect and `port` say so; the gateway of another network is not it); with
    enable_ip_masquerade=false what leaves the host keeps the container's address: the
    network's subnet is not among those the table masquerades."""
    local = network(
        "-o", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1",
        "-o", "com.docker.network.bridge.enable_ip_masquerade=false",
    )  # fmt: skip
    port = free_port()
    engine.ok("run", "-d", "--name", "local", "--network", local, "-p", f"{port}:80", busybox,
              *web("local only"))  # fmt: skip
    assert http_get(f"http://127.0.0.1:{port}/") == "local only\n"
    assert engine.ok("port", "local") == f"80/tcp -> 127.0.0.1:{port}\n"
    ports = inspect(engine, "local")["NetworkSettings"]["Ports"]
    assert ports == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    gateway = bridge_subnet(engine).network_address + 1
    other = engine.cli("run", "--rm", busybox, "sh", "-c", fetch(f"http://{gateway}:{port}/"))
    assert other.returncode == 1  # bound to 127.0.0.1 only: not on the default bridge's gateway
    subnet = json.loads(engine.ok("network", "inspect", local))[0]["IPAM"]["Config"][0]["Subnet"]
    outbound = nft_set(engine, "outbound")
    assert subnet not in outbound and str(bridge_subnet(engine)) in outbound
