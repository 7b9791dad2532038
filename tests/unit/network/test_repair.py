"""Start-up repair and the release at a clean stop, without root: what a crash could leave."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from dockyard.services.network import repair
from dockyard.services.network.endpoints import EndpointRequest
from dockyard.services.network.store import Port

from tests.unit.network.fakes import World


class Died(BaseException):
    """The service was killed here: nothing after this point runs, not even an undo."""


def die(*args: Any) -> None:
    raise Died


def test_start_up_repairs_what_a_crash_left(world: World) -> None:
    world.run("h" * 64)
    tag = world.manager.tag
    world.links.links[f"v{tag.value}orphan0000"] = "br-test"  # a veth nobody records
    world.links.links[f"dy{tag.value}-deadbeef"] = ""  # a bridge of no network
    world.netns("i" * 64).touch()  # a namespace no record owns
    world.netns("h" * 64).unlink()  # a recorded sandbox whose netns died
    manager = world.restart()
    assert f"v{tag.value}orphan0000" not in world.links.links
    assert f"dy{tag.value}-deadbeef" not in world.links.links
    assert not world.netns("i" * 64).exists()
    assert manager.sandboxes.list() == [] and manager.endpoints.of("h" * 64) == []


def test_a_sandbox_half_made_when_the_service_died_is_undone_at_start_up(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.manager, "write_files", die)  # after endpoints, ports and rules
    monkeypatch.setattr(world.manager, "remove_sandbox", die)  # and no undo runs
    with pytest.raises(Died):
        world.run("p" * 64, ports=[Port("", "tcp", "", 8080, 80)])
    assert world.netns("p" * 64).exists() and world.forwards()  # half made, namespace alive
    manager = world.restart()
    assert not world.netns("p" * 64).exists() and world.forwards() == {}
    assert manager.sandboxes.list() == [] and manager.store.ports() == []
    assert not world.links.links_named(manager.tag.veth_prefix)
    view = world.run("p" * 64, ports=[Port("", "tcp", "", 8080, 80)])  # the port is free
    assert view.sandbox.resolv_conf.exists() and view.sandbox.complete


def test_an_endpoint_whose_link_was_never_made_is_undone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.manager.networks.create("app", "", "10.240.1.0/24")
    world.run("q" * 64)
    monkeypatch.setattr(world.links, "add_veth", die)  # network connect, killed mid-way
    with pytest.raises(Died):
        world.manager.connect("q" * 64, EndpointRequest("app"))
    monkeypatch.undo()
    manager = world.restart()
    assert [n.name for _, n in manager.endpoints.of("q" * 64)] == ["bridge"]
    assert manager.sandboxes.list()[0].container_id == "q" * 64  # the sandbox itself stays
    assert manager.connect("q" * 64, EndpointRequest("app")).endpoints[1][1].name == "app"


def test_a_published_port_taken_meanwhile_does_not_stop_the_start(world: World) -> None:
    view = world.run("r" * 64, ports=[Port("", "udp", "127.0.0.1", 0, 53)])
    port = view.ports[0].host_port
    world.manager.close()  # the service is down; a host process takes the port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", port))
        manager = world.open()
        world.manager = manager
        assert manager.store.ports("r" * 64)[0].host_port == port  # kept, and still forwarded
        assert f"127.0.0.1 . udp . {port}" in world.forwards()


def test_a_stop_with_no_container_on_a_network_takes_away_table_exceptions_and_bridges(
    world: World,
) -> None:
    app = world.manager.networks.create("app", "", "10.240.7.0/24").interface
    world.run("q" * 64, "app")
    repair.shutdown(world.manager)  # a stop that keeps containers running (live restore)
    assert world.table in world.nft.tables and world.links.released == []
    world.manager.remove_sandbox("q" * 64)
    repair.shutdown(world.manager)
    assert world.table not in world.nft.tables and world.opened[-1] == []
    # the engine's own bridge goes; the one named in the config only loses its address
    assert sorted(world.links.released) == [("br-test", False), (app, True)]
    assert app not in world.links.links and "br-test" in world.links.links
    manager = world.restart()  # and start-up makes them again
    assert app in world.links.links and world.table in world.nft.tables
    assert manager.networks.get("app").interface == app
