"""The network service's model without root: links, namespaces and rules recorded, not made."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
from dockyard.api.config import DaemonConfig
from dockyard.api.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from dockyard.services.network.networks import EndpointRequest, Manager, Port, SandboxRequest
from dockyard.services.network.sandboxes import Namespaces, Sandboxes


class FakeLinks:
    def __init__(self) -> None:
        self.links: dict[str, str] = {}  # name → master ("" for none)
        self.localnet: list[str] = []  # bridges given route_localnet, in order
        self.rules: list[str] = []  # the nft scripts applied, shared with World
        self.released: list[tuple[str, bool]] = []  # (bridge, deleted) given back at a stop
        self.routes = [IPv4Network("192.0.2.0/24"), IPv4Network("10.199.0.0/16")]

    def ensure_bridge(self, name: str, gateway: Any) -> None:
        self.links.setdefault(name, "")

    def allow_localnet(self, name: str) -> None:
        assert name in self.links, "route_localnet is set on an existing bridge"
        guard = [line for line in self.rules[-1:][0].splitlines() if "127.0.0.0/8 drop" in line]
        assert guard and f'"{name}"' in guard[0], "route_localnet only behind the guard"
        self.localnet.append(name)

    def delete_link(self, name: str) -> None:
        self.links.pop(name, None)

    def ports_of(self, bridge: str) -> list[str]:
        return [n for n, master in self.links.items() if master == bridge]

    def links_named(self, prefix: str) -> list[str]:
        return [n for n in self.links if n.startswith(prefix)]

    def host_routes(self) -> list[IPv4Network]:
        return list(self.routes)

    def add_veth(self, netns: Path, bridge: str, host_name: str, attachment: Any) -> None:
        assert netns.exists(), "a veth goes into an existing namespace"
        self.links[host_name] = bridge

    def add_macvlan(self, netns: Path, parent: str, mode: str, attachment: Any) -> None:
        if parent not in self.links:
            raise InvalidArgument(f"parent interface {parent} does not exist")

    def remove_in_netns(self, netns: Path, ifname: str) -> None:
        pass

    def release_bridge(self, name: str, gateway: Any, delete: bool) -> None:
        self.released.append((name, delete))
        if delete:
            self.links.pop(name, None)


def namespaces() -> Namespaces:
    return Namespaces(
        create=lambda p: p.touch(),
        remove=lambda p: p.unlink(missing_ok=True),
        is_mounted=lambda p: p.exists(),
    )


class World:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.links = FakeLinks()
        self.rules = self.links.rules
        self.opened: list[list[str]] = []  # the bridges given FORWARD exceptions, each time
        self.deleted: list[str] = []  # nft tables deleted whole
        self.manager = self.open()

    def open(self) -> Manager:
        def sandboxes(db: sqlite3.Connection) -> Sandboxes:
            return Sandboxes(db, self.tmp / "data", self.tmp / "run", namespaces())

        (self.tmp / "data").mkdir(exist_ok=True)
        manager = Manager(
            self.tmp / "data",
            sandboxes,
            self.links,
            DaemonConfig(bridge="br-test"),
            self.rules.append,
            lambda tag, interfaces: self.opened.append(interfaces),
            self.deleted.append,
        )
        manager.startup()
        return manager

    def restart(self) -> Manager:
        self.manager.close()
        self.manager = self.open()
        return self.manager


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.manager.close()


def run(world: World, cid: str, network: str = "bridge", **kw: Any) -> Any:
    return world.manager.create_sandbox(
        SandboxRequest(container_id=cid, mode=network, hostname=cid[:12], **kw)
    )


def test_the_default_bridge_avoids_host_routes(world: World) -> None:
    bridge = world.manager.get("bridge")
    assert bridge.subnet == "10.198.0.0/16"  # 10.199/16 is a host route here
    assert bridge.interface == "br-test" and "br-test" in world.links.links
    assert {n.name for n in world.manager.networks()} == {"bridge", "host", "none"}


def test_route_localnet_only_on_bridges_whose_loopback_packets_are_dropped(world: World) -> None:
    """CVE-2020-8558: the guard is in the rules before any bridge takes route_localnet."""
    world.manager.create("app", "", "10.240.9.0/24", "", "", False, {}, {})
    app = world.manager.get("app").interface
    world.restart()
    assert sorted(world.links.localnet) == sorted(["br-test", app, "br-test", app])


def test_addresses_are_never_handed_out_twice_even_across_restarts(world: World) -> None:
    run(world, "a" * 64)
    run(world, "b" * 64)
    first = {e.address for e, _ in world.manager.endpoints_of("a" * 64)}
    manager = world.restart()
    run(world, "c" * 64)
    addresses = [e.address for cid in ("a", "b", "c") for e, _ in manager.endpoints_of(cid * 64)]
    assert len(set(addresses)) == 3
    assert {e.address for e, _ in manager.endpoints_of("a" * 64)} == first


def test_user_networks_overlaps_gateways_and_names(world: World) -> None:
    net = world.manager.create("app", "", "10.240.0.0/24", "", "", False, {}, {})
    assert net.gateway == "10.240.0.1" and net.interface.startswith(f"dy{world.manager.tag}-")
    with pytest.raises(AlreadyExists):
        world.manager.create("app", "", "", "", "", False, {}, {})
    with pytest.raises(InvalidArgument, match=r"overlaps 10\.240\.0\.0/24"):
        world.manager.create("other", "", "10.240.0.128/25", "", "", False, {}, {})
    with pytest.raises(InvalidArgument, match=r"overlaps 192\.0\.2\.0/24 \(a host route\)"):
        world.manager.create("lan", "", "192.0.2.0/25", "", "", False, {}, {})
    with pytest.raises(InvalidArgument, match="not a host address"):
        world.manager.create("gw", "", "10.241.0.0/24", "10.242.0.1", "", False, {}, {})
    auto = world.manager.create("auto", "", "", "", "", False, {}, {})
    assert auto.subnet == "10.200.0.0/24"
    assert {n.name for n in world.manager.networks()} >= {"app", "auto"}


def test_a_network_in_use_cannot_go_and_prune_keeps_it(world: World) -> None:
    world.manager.create("busy", "", "10.240.1.0/24", "", "", False, {}, {})
    world.manager.create("idle", "", "10.240.2.0/24", "", "", False, {}, {})
    run(world, "d" * 64, "busy")
    with pytest.raises(FailedPrecondition, match="active endpoints"):
        world.manager.remove("busy")
    with pytest.raises(FailedPrecondition, match="pre-defined"):
        world.manager.remove("bridge")
    assert world.manager.prune() == ["idle"]
    world.manager.remove_sandbox("d" * 64)
    world.manager.remove("busy")
    with pytest.raises(NotFound):
        world.manager.get("busy")


def test_published_ports_conflict_and_are_released(world: World) -> None:
    ports = [Port("", "tcp", "", 0, 80)]
    run(world, "e" * 64, ports=ports)
    held = world.manager.ports_of("e" * 64)[0]
    assert held.host_port > 0
    assert f"tcp dport {held.host_port} dnat to" in world.rules[-1]
    with pytest.raises(AlreadyExists, match="port is already allocated"):
        run(world, "f" * 64, ports=[Port("", "tcp", "127.0.0.1", held.host_port, 80)])
    assert world.manager.sandboxes.list() and "f" * 64 not in {
        s.container_id for s in world.manager.sandboxes.list()
    }
    world.manager.remove_sandbox("e" * 64)
    assert "dnat to" not in world.rules[-1]
    run(world, "f" * 64, ports=[Port("", "tcp", "127.0.0.1", held.host_port, 80)])


def test_a_failure_half_way_undoes_everything(world: World) -> None:
    world.manager.create("mv", "macvlan", "10.240.3.0/24", "", "", False, {"parent": "nope0"}, {})
    before = dict(world.links.links)
    with pytest.raises(InvalidArgument, match="parent interface nope0"):
        run(world, "g" * 64, "bridge", endpoints=[EndpointRequest("bridge"), EndpointRequest("mv")])
    assert world.links.links == before  # the bridge veth made first is gone again
    assert world.manager.sandboxes.list() == []
    assert not any((world.tmp / "run" / "netns").iterdir())


def test_start_up_repairs_what_a_crash_left(world: World) -> None:
    run(world, "h" * 64)
    tag = world.manager.tag
    world.links.links[f"v{tag}orphan0000"] = "br-test"  # a veth nobody records
    world.links.links[f"dy{tag}-deadbeef"] = ""  # a bridge of no network
    (world.tmp / "run" / "netns" / ("i" * 64)).touch()  # a namespace no record owns
    (world.tmp / "run" / "netns" / ("h" * 64)).unlink()  # a recorded sandbox whose netns died
    manager = world.restart()
    assert f"v{tag}orphan0000" not in world.links.links
    assert f"dy{tag}-deadbeef" not in world.links.links
    assert not (world.tmp / "run" / "netns" / ("i" * 64)).exists()
    assert manager.sandboxes.list() == [] and manager.endpoints_of("h" * 64) == []


def test_dns_names_on_shared_networks_only(world: World) -> None:
    world.manager.create("app", "", "10.240.4.0/24", "", "", False, {}, {})
    world.manager.create("other", "", "10.240.5.0/24", "", "", False, {}, {})
    run(world, "j" * 64, "app", name="api", endpoints=[EndpointRequest("app", aliases=["backend"])])
    run(world, "k" * 64, "app", name="client")
    run(world, "l" * 64, "other", name="stranger")
    address = world.manager.endpoints_of("j" * 64)[0][0].address
    assert world.manager.lookup("k" * 64, "api") == [address]
    assert world.manager.lookup("k" * 64, "BACKEND.") == [address]
    assert world.manager.lookup("k" * 64, "j" * 12) == [address]
    assert world.manager.lookup("l" * 64, "api") is None
    resolv = (world.manager.sandboxes.get("k" * 64).resolv_conf).read_text()
    assert resolv.startswith("nameserver 127.0.0.11\n")


def test_dns_names_are_answered_after_a_restart(world: World) -> None:
    world.manager.create("app", "", "10.240.6.0/24", "", "", False, {}, {})
    run(world, "m" * 64, "app", name="api")
    run(world, "n" * 64, "app", name="client")
    address = world.manager.endpoints_of("m" * 64)[0][0].address
    manager = world.restart()  # nothing joins or leaves afterwards
    assert manager.lookup("n" * 64, "api") == [address]


class Died(BaseException):
    """The service was killed here: nothing after this point runs, not even an undo."""


def test_a_sandbox_half_made_when_the_service_died_is_undone_at_start_up(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def die(*args: Any) -> None:
        raise Died

    monkeypatch.setattr(world.manager, "write_files", die)  # after endpoints, ports and rules
    monkeypatch.setattr(world.manager, "_teardown", die)
    with pytest.raises(Died):
        run(world, "p" * 64, ports=[Port("", "tcp", "", 8080, 80)])
    netns = world.tmp / "run" / "netns" / ("p" * 64)
    assert netns.exists() and "dnat to" in world.rules[-1]  # half made, its namespace alive
    manager = world.restart()
    assert not netns.exists() and "dnat to" not in world.rules[-1]
    assert manager.sandboxes.list() == [] and manager.ports_of("p" * 64) == []
    assert not any(name.startswith(f"v{manager.tag}") for name in world.links.links)
    sandbox = run(world, "p" * 64, ports=[Port("", "tcp", "", 8080, 80)])  # the port is free
    assert sandbox.resolv_conf.exists() and sandbox.complete


def test_a_stop_with_no_container_on_a_network_takes_away_table_exceptions_and_bridges(
    world: World,
) -> None:
    app = world.manager.create("app", "", "10.240.7.0/24", "", "", False, {}, {}).interface
    run(world, "q" * 64, "app")
    world.manager.shutdown()  # a stop that keeps containers running (live restore)
    assert world.deleted == [] and world.links.released == []
    world.manager.remove_sandbox("q" * 64)
    world.manager.shutdown()
    assert world.deleted == [f"dockyard_{world.manager.tag}"] and world.opened[-1] == []
    # the engine's own bridge goes; the one named in the config only loses its address
    assert sorted(world.links.released) == [("br-test", False), (app, True)]
    assert app not in world.links.links and "br-test" in world.links.links
    manager = world.restart()  # and start-up makes them again
    assert app in world.links.links and "dnat to" not in world.rules[-1]
    assert manager.get("app").interface == app
