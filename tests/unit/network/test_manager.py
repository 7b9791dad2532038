"""Sandboxes without root: made, joined, torn down; their ports, rules, files and names."""

from __future__ import annotations

import pytest
from dockyard.api.errors import AlreadyExists, InvalidArgument, NotFound
from dockyard.services.network.endpoints import EndpointRequest
from dockyard.services.network.store import Port

from tests.unit.network.fakes import World


def test_addresses_are_never_handed_out_twice_even_across_restarts(world: World) -> None:
    first = world.run("a" * 64).endpoints[0][0].address
    world.run("b" * 64)
    manager = world.restart()
    world.run("c" * 64)
    addresses = [e.address for cid in "abc" for e, _ in manager.endpoints.of(cid * 64)]
    assert len(set(addresses)) == 3
    assert manager.endpoints.of("a" * 64)[0][0].address == first


def test_a_sandbox_without_ports_changes_no_rule(world: World) -> None:
    before = len(world.nft.scripts)
    world.run("a" * 64)
    world.manager.remove_sandbox("a" * 64)
    assert len(world.nft.scripts) == before


def test_removing_a_sandbox_that_is_gone_does_nothing(world: World) -> None:
    world.run("a" * 64, ports=[Port("", "tcp", "", 0, 80)])
    world.manager.remove_sandbox("a" * 64)
    scripts, links = len(world.nft.scripts), dict(world.links.links)
    world.manager.remove_sandbox("a" * 64)  # the engine asks again after every exit
    assert len(world.nft.scripts) == scripts and world.links.links == links


def test_published_ports_conflict_and_are_released(world: World) -> None:
    view = world.run("e" * 64, ports=[Port("", "tcp", "", 0, 80)])
    held = view.ports[0]
    address = view.endpoints[0][0].address
    assert held.host_port > 0
    assert world.forwards() == {f"tcp . {held.host_port}": f"{address} . 80"}
    with pytest.raises(AlreadyExists, match="port is already allocated"):
        world.run("f" * 64, ports=[Port("", "tcp", "127.0.0.1", held.host_port, 80)])
    assert [s.container_id for s in world.manager.sandboxes.list()] == ["e" * 64]
    world.manager.remove_sandbox("e" * 64)
    assert world.forwards() == {}
    again = world.run("f" * 64, ports=[Port("", "tcp", "127.0.0.1", held.host_port, 80)])
    target = f"{again.endpoints[0][0].address} . 80"
    assert world.forwards() == {f"127.0.0.1 . tcp . {held.host_port}": target}


def test_bad_ports_are_refused_before_anything_is_made(world: World) -> None:
    for port, message in [
        (Port("", "sctp", "", 0, 80), "invalid protocol"),
        (Port("", "tcp", "", 0, 0), "invalid port"),
        (Port("", "tcp", "not-an-ip", 0, 80), "invalid host IP"),
    ]:
        with pytest.raises(InvalidArgument, match=message):
            world.run("g" * 64, ports=[port])
    assert world.manager.sandboxes.list() == []


def test_a_failure_half_way_undoes_everything(world: World) -> None:
    world.manager.networks.create("mv", "macvlan", "10.240.3.0/24", options={"parent": "nope0"})
    before = dict(world.links.links)
    with pytest.raises(InvalidArgument, match="parent interface nope0"):
        world.run("g" * 64, endpoints=[EndpointRequest("bridge"), EndpointRequest("mv")])
    assert world.links.links == before  # the bridge veth made first is gone again
    assert world.manager.sandboxes.list() == [] and world.manager.store.owners() == set()
    assert not any((world.tmp / "run" / "netns").iterdir())


def test_ports_follow_the_first_bridge_endpoint_across_connect_and_disconnect(
    world: World,
) -> None:
    world.manager.networks.create("app", "", "10.240.4.0/24")
    view = world.run("h" * 64, "app", ports=[Port("", "tcp", "", 8080, 80)])
    assert world.forwards() == {"tcp . 8080": f"{view.endpoints[0][0].address} . 80"}
    joined = world.manager.connect("h" * 64, EndpointRequest("bridge"))
    assert [e.ifname for e, _ in joined.endpoints] == ["eth0", "eth1"]
    assert world.forwards() == {"tcp . 8080": f"{view.endpoints[0][0].address} . 80"}
    left = world.manager.disconnect("h" * 64, "app")
    assert world.forwards() == {"tcp . 8080": f"{left.endpoints[0][0].address} . 80"}
    with pytest.raises(NotFound, match="not connected"):
        world.manager.disconnect("h" * 64, "app")
    with pytest.raises(AlreadyExists, match="already exists in network bridge"):
        world.manager.connect("h" * 64, EndpointRequest("bridge"))


def test_a_table_removed_under_us_is_rewritten_from_the_records(world: World) -> None:
    world.run("i" * 64, ports=[Port("", "tcp", "", 8081, 80)])
    world.nft.tables.clear()  # `nft flush ruleset` by someone else
    view = world.run("j" * 64, ports=[Port("", "tcp", "", 8082, 80)])
    assert set(world.forwards()) == {"tcp . 8081", "tcp . 8082"}
    assert '"br-test"' in world.nft.elements(world.table, "bridges")
    assert view.sandbox.complete


def test_files_name_the_container_and_its_dns(world: World) -> None:
    world.manager.networks.create("app", "", "10.240.5.0/24")
    view = world.run(
        "k" * 64, "app", extra_hosts=["db:10.250.0.7", "host:host-gateway"], domainname="lan"
    )
    address = view.endpoints[0][0].address
    hosts = view.sandbox.hosts.read_text()
    assert f"{address}\t{'k' * 12}.lan {'k' * 12}\n" in hosts  # the FQDN, the short name
    assert "10.250.0.7\tdb\n" in hosts and "10.240.5.1\thost\n" in hosts
    assert view.sandbox.resolv_conf.read_text().startswith("nameserver 127.0.0.11\n")
    assert view.sandbox.hostname_file.read_text() == f"{'k' * 12}\n"
    plain = world.run("l" * 64, dns=["10.250.0.53"], dns_search=["example.test"])
    assert plain.sandbox.resolv_conf.read_text() == (
        "nameserver 10.250.0.53\nsearch example.test\n"
    )


def test_dns_names_on_shared_networks_only(world: World) -> None:
    world.manager.networks.create("app", "", "10.240.6.0/24")
    world.manager.networks.create("other", "", "10.240.7.0/24")
    api = world.run("j" * 64, "app", name="api", endpoints=[EndpointRequest("app", ["backend"])])
    world.run("k" * 64, "app", name="client")
    world.run("l" * 64, "other", name="stranger")
    world.run("m" * 64, name="on-default")
    address = api.endpoints[0][0].address
    names = world.manager.names
    assert names.lookup("k" * 64, "api") == [address]
    assert names.lookup("k" * 64, "BACKEND.") == [address]
    assert names.lookup("k" * 64, "j" * 12) == [address]
    assert names.lookup("l" * 64, "api") is None
    assert names.lookup("m" * 64, "on-default") is None  # the default bridge has no names
    world.manager.remove_sandbox("j" * 64)
    assert names.lookup("k" * 64, "api") is None


def test_dns_names_are_answered_after_a_restart(world: World) -> None:
    world.manager.networks.create("app", "", "10.240.6.0/24")
    address = world.run("m" * 64, "app", name="api").endpoints[0][0].address
    world.run("n" * 64, "app", name="client")
    manager = world.restart()  # nothing joins or leaves afterwards
    assert manager.names.lookup("n" * 64, "api") == [address]


def test_route_localnet_only_on_bridges_the_loopback_guard_covers(world: World) -> None:
    """CVE-2020-8558: a bridge is in the guarded set before it takes route_localnet."""
    app = world.manager.networks.create("app", "", "10.240.9.0/24").interface
    world.restart()  # FakeLinks.allow_localnet asserts the guard each time
    assert sorted(world.links.localnet) == sorted(["br-test", app, "br-test", app])


def test_a_container_mode_sandbox_shares_the_namespace_and_files(world: World) -> None:
    owner = world.run("o" * 64)
    joined = world.run("p" * 64, f"container:{'o' * 64}")
    assert joined.sandbox.netns_path == owner.sandbox.netns_path
    assert joined.sandbox.hosts == owner.sandbox.hosts and joined.endpoints == []
    world.manager.remove_sandbox("p" * 64)
    assert world.netns("o" * 64).exists()  # the owner's namespace stays


def test_host_and_none_modes(world: World) -> None:
    host = world.run("q" * 64, "host")
    assert host.sandbox.netns_path == ""
    none = world.run("r" * 64, "none")
    assert world.netns("r" * 64).exists()
    for view, mode in ((host, "host"), (none, "none")):  # an endpoint without address or link
        [(endpoint, network)] = view.endpoints
        assert network.name == mode and endpoint.network_id == network.id
        assert len(endpoint.endpoint_id) == 64 and endpoint.address == endpoint.ifname == ""
        assert world.manager.store.endpoints(view.sandbox.container_id) == []
        members = world.manager.network_view(network).members
        assert [(e.endpoint_id, e.container_id) for e, _ in members] == [
            (endpoint.endpoint_id, view.sandbox.container_id)
        ]
    assert host.endpoints[0][0].endpoint_id != none.endpoints[0][0].endpoint_id
    with pytest.raises(InvalidArgument, match="cannot be connected to host"):
        world.run("s" * 64, endpoints=[EndpointRequest("bridge"), EndpointRequest("host")])


def test_update_hosts_readdresses_or_drops_a_links_entries(world: World) -> None:
    view = world.run("u" * 64, extra_hosts=["db.local:10.250.0.7", "kid kidhost lk-kid:10.9.9.2"])
    world.manager.update_hosts("u" * 64, "kid", "10.9.9.3")
    hosts = view.sandbox.hosts.read_text()
    assert "10.9.9.3\tkid kidhost lk-kid\n" in hosts and "10.9.9.2" not in hosts
    world.manager.update_hosts("u" * 64, "kid", "")
    hosts = view.sandbox.hosts.read_text()
    assert "kid" not in hosts and "10.250.0.7\tdb.local\n" in hosts
    assert world.manager.sandboxes.get("u" * 64).spec["extra_hosts"] == ["db.local:10.250.0.7"]
    world.manager.update_hosts("v" * 64, "kid", "10.9.9.4")  # no such sandbox: nothing to do
