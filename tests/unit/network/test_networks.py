"""Networks without root: IPAM across networks and host routes, names, bridges and their rules."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest
from dockyard.api.config import DaemonConfig
from dockyard.api.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound

from tests.unit.network.fakes import World


def test_the_default_bridge_avoids_host_routes(world: World) -> None:
    bridge = world.manager.networks.get("bridge")
    assert bridge.subnet == "10.198.0.0/16"  # 10.199/16 is a host route here
    assert bridge.interface == "br-test" and "br-test" in world.links.links
    assert {n.name for n in world.manager.networks.all()} == {"bridge", "host", "none"}


def test_with_every_default_16_taken_the_default_bridge_gets_a_20(tmp_path: Path) -> None:
    """Ten engines on one host took 10.190/16 … 10.199/16: the eleventh must still start."""
    taken = [IPv4Network(f"10.{n}.0.0/16") for n in range(190, 200)]
    world = World(tmp_path, routes=taken)
    assert world.manager.networks.get("bridge").subnet == "10.176.0.0/20"
    world.manager.close()


def test_the_default_bridge_is_the_engines_own_unless_the_config_names_one(
    tmp_path: Path,
) -> None:
    """Engines side by side share no bridge: its name carries the engine's tag."""
    one, two = World(tmp_path / "one", DaemonConfig()), World(tmp_path / "two", DaemonConfig())
    names = [w.manager.networks.get("bridge").interface for w in (one, two)]
    assert names == [f"dockyard{w.manager.tag.value}" for w in (one, two)]
    assert names[0] != names[1]


def test_a_default_bridge_named_otherwise_moves_once_no_container_is_on_it(
    world: World,
) -> None:
    """An engine from before (every engine on one `dockyard0`) gets its own bridge."""
    world.run("a" * 64)
    world.config = DaemonConfig()
    world.restart()  # a container is on the old bridge: it stays there
    assert world.manager.networks.get("bridge").interface == "br-test"
    world.manager.remove_sandbox("a" * 64)
    manager = world.restart()
    own = f"dockyard{manager.tag.value}"
    assert manager.networks.get("bridge").interface == own and own in world.links.links
    assert ("br-test", False) in world.links.released  # the old one only loses our address
    assert world.run("b" * 64).endpoints[0][1].interface == own


def test_user_networks_overlaps_gateways_and_names(world: World) -> None:
    networks = world.manager.networks
    net = networks.create("app", "", "10.240.0.0/24")
    assert (
        net.gateway == "10.240.0.1" and net.interface == f"dy{world.manager.tag.value}-{net.id[:8]}"
    )
    with pytest.raises(AlreadyExists):
        networks.create("app", "")
    with pytest.raises(InvalidArgument, match=r"overlaps 10\.240\.0\.0/24"):
        networks.create("other", "", "10.240.0.128/25")
    with pytest.raises(InvalidArgument, match=r"overlaps 192\.0\.2\.0/24 \(a host route\)"):
        networks.create("lan", "", "192.0.2.0/25")
    with pytest.raises(InvalidArgument, match="not a host address"):
        networks.create("gw", "", "10.241.0.0/24", "10.242.0.1")
    with pytest.raises(InvalidArgument, match="already network app's"):
        networks.create("twin", "", options={"com.docker.network.bridge.name": net.interface})
    auto = networks.create("auto", "")
    assert auto.subnet == "10.200.0.0/24"
    assert {n.name for n in networks.all()} >= {"app", "auto"}


def test_bad_drivers_and_options(world: World) -> None:
    networks = world.manager.networks
    for args, message in [
        (("ov", "overlay"), "not supported"),
        (("mv", "macvlan"), "parent interface"),
        (("x", "bridge", "", "", "", False, {"nope": "1"}), "unknown option 'nope'"),
        (("bad/name", "bridge"), "invalid network name"),
    ]:
        with pytest.raises(InvalidArgument, match=message):
            networks.create(*args)  # type: ignore[arg-type]
    assert {n.name for n in networks.all()} == {"bridge", "host", "none"}


def test_a_bridge_network_is_made_and_unmade_with_its_rules(world: World) -> None:
    net = world.manager.networks.create("internal", "", "10.240.8.0/24", internal=True)
    name = f'"{net.interface}"'
    assert name in world.nft.elements(world.table, "bridges")
    assert name in world.nft.elements(world.table, "internal")
    assert "10.240.8.0/24" not in world.nft.elements(world.table, "outbound")
    assert world.links.localnet[-1] == net.interface and net.interface in world.opened[-1]
    world.manager.networks.remove("internal")
    assert name not in world.nft.elements(world.table, "bridges")
    assert net.interface not in world.links.links and net.interface not in world.opened[-1]


def test_a_network_in_use_cannot_go_and_prune_keeps_it(world: World) -> None:
    world.manager.networks.create("busy", "", "10.240.1.0/24")
    world.manager.networks.create("idle", "", "10.240.2.0/24")
    world.run("d" * 64, "busy")
    with pytest.raises(FailedPrecondition, match="active endpoints"):
        world.manager.networks.remove("busy")
    with pytest.raises(FailedPrecondition, match="pre-defined"):
        world.manager.networks.remove("bridge")
    assert world.manager.networks.prune() == ["idle"]
    world.manager.remove_sandbox("d" * 64)
    world.manager.networks.remove("busy")
    with pytest.raises(NotFound):
        world.manager.networks.get("busy")


def test_networks_by_id_prefix(world: World) -> None:
    net = world.manager.networks.create("app", "")
    assert world.manager.networks.get(net.id[:6]).name == "app"
    with pytest.raises(NotFound):
        world.manager.networks.get("zz")
    with pytest.raises(NotFound):
        world.manager.networks.get("%")  # a pattern character is a character


def test_link_local_addresses_as_libnetwork_takes_them() -> None:
    import pytest
    from dockyard.api.errors import InvalidArgument
    from dockyard.services.network.endpoints import link_local_addresses

    got = link_local_addresses(["169.254.1.2", "fe80::12"])
    assert [str(a) for a in got] == ["169.254.1.2/16", "fe80::12/64"]
    with pytest.raises(InvalidArgument, match=r"^invalid link local IP address: 10.0.0.1$"):
        link_local_addresses(["169.254.1.2", "10.0.0.1"])
    with pytest.raises(InvalidArgument, match=r"^Invalid link-local IP address: \[nope 1.2\]$"):
        link_local_addresses(["nope", "1.2"])


def test_enable_icc_false_is_refused_where_bridged_traffic_skips_the_ip_hooks(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without br_netfilter's bridge-nf-call-iptables, the drop rule would see nothing."""
    from dockyard.services.network import networks as module

    icc = {"com.docker.network.bridge.enable_icc": "false"}
    switch = tmp_path / "bridge-nf-call-iptables"
    monkeypatch.setattr(module, "BRIDGE_NF_CALL", switch)
    for state in ("", "0\n"):
        if state:
            switch.write_text(state)
        with pytest.raises(InvalidArgument, match="needs the kernel's br_netfilter"):
            world.manager.networks.create("apart", "", options=icc)
        with pytest.raises(NotFound):
            world.manager.networks.get("apart")  # nothing was made
    switch.write_text("1\n")
    made = world.manager.networks.create("apart", "", options=icc)
    assert made.options == icc
