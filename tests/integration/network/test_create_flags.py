"""`network create`'s other flags, as docker 20.10 takes them on an engine in no swarm: what a
local network may be (attachable, local scope, default IPAM with options, auxiliary addresses
no container gets, config-only networks and networks made from one) recorded and shown by
inspect; the rest refused in dockerd's (or docker/cli's) words, nothing made."""

from __future__ import annotations

import ipaddress
import json
import random
from collections.abc import Callable

import pytest

from tests.integration.network.conftest import free_subnet, network_doc
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def address_on(engine: Engine, container: str, net: str) -> str:
    doc = json.loads(engine.ok("inspect", container))[0]
    return str(doc["NetworkSettings"]["Networks"][net]["IPAddress"])


def test_attachable_scope_ipam_options_and_auxiliary_addresses(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    subnet = ipaddress.IPv4Network(free_subnet()).supernet(new_prefix=24)
    first = subnet.network_address
    router, printer = str(first + 2), str(first + 3)
    net = network(
        "--subnet", str(subnet), "--attachable", "--scope", "local",
        "--ipam-driver", "default", "--ipam-opt", "mode=test",
        "--aux-address", f"router={router}", "--aux-address", f"printer={printer}",
    )  # fmt: skip
    doc = network_doc(engine, net)
    assert (doc["Attachable"], doc["Scope"], doc["ConfigOnly"], doc["Ingress"]) == (
        True, "local", False, False,
    )  # fmt: skip
    assert doc["IPAM"] == {
        "Driver": "default",
        "Options": {"mode": "test"},
        "Config": [
            {"Subnet": str(subnet), "AuxiliaryAddresses": {"router": router, "printer": printer}}
        ],
    }
    assert net in engine.ok("network", "ls", "--filter", "scope=local", "--format", "{{.Name}}")
    engine.ok("run", "-d", "--name", "after-aux", "--network", net, busybox, "sleep", "60")
    assert address_on(engine, "after-aux", net) == str(first + 4)  # .2 and .3 are reserved
    taken = engine.cli("run", "--rm", "--network", net, "--ip", router, busybox, "true")
    assert taken.returncode == 125 and "already in use" in taken.stderr
    plain = network()
    assert network_doc(engine, plain)["Attachable"] is False
    assert network_doc(engine, plain)["IPAM"]["Options"] == {}


SWARM_MANAGER = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to '
    "connect this node to swarm and try again."
)
OPERATOR_FIELDS = (
    "configuration network can only contain network specific fields. Network operator fields "
    "like [ ingress | internal | attachable | scope ] are not supported."
)


@pytest.mark.parametrize(
    ("flags", "stderr"),
    [
        (["--ingress"], "Error response from daemon: Ingress network can only be global scope network"),
        (["--scope", "swarm"], "Error response from daemon: cannot create a swarm scoped network when swarm is not active"),
        (["--scope", "global"], f"Error response from daemon: {SWARM_MANAGER}"),
        (["--ipam-driver", "dhcp"], 'Error response from daemon: plugin "dhcp" not found'),
        (["--ipv6"], "Error response from daemon: IPv6 networks are not supported by Dockyard"),
        (["--config-only", "--internal"], f"Error response from daemon: {OPERATOR_FIELDS}"),
        (["--config-only", "--config-from", "x"], "Error response from daemon: a configuration network cannot depend on another configuration network"),
        (["--aux-address", "a=10.9.9.9"], "no matching subnet for aux-address 10.9.9.9"),
        (["--subnet", "10.231.7.0/24", "--aux-address", "a=10.9.9.9"], "no matching subnet for aux-address 10.9.9.9"),
        (["--gateway", "10.9.9.1"], "every ip-range or gateway must have a corresponding subnet"),
        (["--subnet", "10.231.7.0/24", "--ip-range", "10.9.9.0/28"], "no matching subnet for range 10.9.9.0/28"),
        (["--config-from", "no-such-config"], 'Error response from daemon: configuration network "no-such-config" does not exist'),
    ],
)  # fmt: skip
def test_what_needs_a_swarm_ipv6_or_a_plugin_is_refused(
    engine: Engine, flags: list[str], stderr: str
) -> None:
    name = f"refused{random.randrange(16**6):06x}"
    result = engine.cli("network", "create", *flags, name)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr + "\n")
    assert name not in engine.ok("network", "ls", "--format", "{{.Name}}")


def test_a_config_only_network_configures_the_networks_made_from_it(
    engine: Engine, busybox: str
) -> None:
    suffix = f"{random.randrange(16**6):06x}"
    config, made = f"cfg{suffix}", f"fromcfg{suffix}"
    subnet = ipaddress.IPv4Network(free_subnet())
    gateway = str(subnet.network_address + 1)
    engine.ok(
        "network", "create", "--config-only", "--subnet", str(subnet), "--ip-range",
        str(next(subnet.subnets(new_prefix=28))), "--label", "team=a",
        "--aux-address", f"spare={subnet.network_address + 2}", config,
    )  # fmt: skip
    try:
        doc = network_doc(engine, config)
        assert (doc["Driver"], doc["Scope"], doc["ConfigOnly"]) == ("null", "local", True)
        assert doc["IPAM"]["Config"][0]["Subnet"] == str(subnet)
        assert "Gateway" not in doc["IPAM"]["Config"][0]
        refused = engine.cli("run", "--rm", "--network", config, busybox, "true")
        assert refused.returncode == 125
        assert "cannot create endpoint on configuration-only network" in refused.stderr

        own = engine.cli("network", "create", "--config-from", config, "--label", "x=1", made)
        assert own.returncode == 1 and own.stderr == (
            "Error response from daemon: user specified configurations are not supported if "
            "the network depends on a configuration network\n"
        )
        engine.ok("network", "create", "--config-from", config, made)
        doc = network_doc(engine, made)
        assert (doc["Driver"], doc["ConfigFrom"], doc["ConfigOnly"]) == (
            "bridge", {"Network": config}, False,
        )  # fmt: skip
        assert doc["Labels"] == {"team": "a"}
        assert doc["IPAM"]["Config"][0]["Subnet"] == str(subnet)
        engine.ok("run", "-d", "--name", "on-made", "--network", made, busybox, "sleep", "60")
        assert address_on(engine, "on-made", made) == str(subnet.network_address + 3)
        assert engine.ok("exec", "on-made", "ip", "route").startswith(f"default via {gateway}")
        busy = engine.cli("network", "rm", config)
        assert (busy.returncode, busy.stderr) == (
            1,
            f'Error response from daemon: error while removing network: configuration network "{config}" is in use\n',
        )  # fmt: skip
    finally:
        engine.cli("rm", "-f", "on-made")
        engine.cli("network", "rm", made)
        engine.cli("network", "rm", config)
    assert config not in engine.ok("network", "ls", "--format", "{{.Name}}")


def test_connect_ip6_is_refused_and_driver_opts_are_recorded(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    """network connect --ip6: refused as dockerd 20.10 refuses it on a network without an IPv6
    subnet (every network here), running or not; --driver-opt recorded in the endpoint."""
    net = network("--subnet", free_subnet())
    engine.ok("run", "-d", "--name", "connected", busybox, "sleep", "60")
    engine.ok("create", "--name", "connected-later", busybox, "true")
    for container in ("connected", "connected-later"):
        refused = engine.cli("network", "connect", "--ip6", "2001:db8::33", net, container)
        assert (refused.returncode, refused.stderr) == (
            1,
            "Error response from daemon: user specified IP address is supported only when "
            "connecting to networks with user configured subnets\n",
        )
        assert (
            net not in json.loads(engine.ok("inspect", container))[0]["NetworkSettings"]["Networks"]
        )
    on_bridge = engine.cli(
        "network", "connect", "--ip6", "2001:db8::33", "bridge", "connected-later"
    )
    assert on_bridge.stderr == (
        "Error response from daemon: user specified IP address is supported on user defined "
        "networks only\n"
    )
    bad = engine.cli("network", "connect", "--driver-opt", "novalue", net, "connected")
    assert (bad.returncode, bad.stderr) == (1, "invalid key/value pair format in driver options\n")
    engine.ok(
        "network",
        "connect",
        "--driver-opt",
        "a=1, b = two",
        "--driver-opt",
        "c=3",
        net,
        "connected",
    )
    networks = json.loads(engine.ok("inspect", "connected"))[0]["NetworkSettings"]["Networks"]
    assert networks[net]["DriverOpts"] == {"a": "1", "b": "two", "c": "3"}
    assert networks["bridge"]["DriverOpts"] is None
    assert "eth1" in engine.ok("exec", "connected", "ip", "-o", "link")


def test_prune_leaves_config_only_networks(engine: Engine) -> None:
    """dockerd 20.10's network prune skips configuration networks, filtered or not."""
    name = f"cfgkept{random.randrange(16**6):06x}"
    engine.ok("network", "create", "--config-only", "--label", "prune=me", name)
    try:
        for flags in ([], ["--filter", "label=prune=me"], ["--filter", "until=87600h"]):
            out = engine.ok("network", "prune", "-f", *flags)
            assert name not in out
            assert name in engine.ok("network", "ls", "--format", "{{.Name}}")
    finally:
        engine.cli("network", "rm", name)


def test_bridge_driver_options_mtu_and_dockers_defaults(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    """-o com.docker.network.driver.mtu sizes both ends of every container's veth, as
    libnetwork's bridge driver does; enable_icc, enable_ip_masquerade and host_binding_ipv4 at
    docker's defaults are taken as they are (inspect shows them), other values refused."""
    defaults = [
        "-o", "com.docker.network.bridge.enable_icc=true",
        "-o", "com.docker.network.bridge.enable_ip_masquerade=1",
        "-o", "com.docker.network.bridge.host_binding_ipv4=0.0.0.0",
    ]  # fmt: skip
    net = network("-o", "com.docker.network.driver.mtu=1400", *defaults)
    options = network_doc(engine, net)["Options"]
    assert options["com.docker.network.driver.mtu"] == "1400"
    assert options["com.docker.network.bridge.enable_icc"] == "true"
    cid = engine.ok("run", "-d", "--network", net, busybox, "sleep", "60").strip()
    assert engine.ok("exec", cid, "cat", "/sys/class/net/eth0/mtu") == "1400\n"
    plain = engine.ok("run", "--rm", busybox, "cat", "/sys/class/net/eth0/mtu")
    assert plain == "1500\n"
    refused = [
        (("-o", "com.docker.network.driver.mtu=big"), "failed to parse com.docker.network.driver.mtu value: big"),
        (("-o", "com.docker.network.driver.mtu=20"), "invalid MTU number: 20"),
        (("-o", "com.docker.network.bridge.enable_icc=no"), 'strconv.ParseBool: parsing "no"'),
        (("-o", "com.docker.network.bridge.host_binding_ipv4=localhost"), "host_binding_ipv4 value: localhost (nil ip)"),
        (("-o", "com.docker.network.bridge.host_binding_ipv4=::1"), "containers get no IPv6"),
        (("-o", "com.docker.network.bridge.enable_ip_masquerade=maybe"), 'strconv.ParseBool: parsing "maybe"'),
    ]  # fmt: skip
    for flags, message in refused:
        name = f"refused{random.randrange(16**6):06x}"
        result = engine.cli("network", "create", *flags, name)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert engine.cli("network", "inspect", name).returncode == 1  # nothing made
