"""The network store: records round trip, address clashes, and stores from older versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dockyard.services.network.sandboxes import Sandboxes
from dockyard.services.network.store import Endpoint, Port, Store, new_network

from tests.unit.network.fakes import namespaces


def endpoint(cid: str, address: str, network_id: str = "n1") -> Endpoint:
    return Endpoint(cid, network_id, cid * 2, address, "02:42:00:00:00:02", ["x"], "eth0", "veth")


def test_records_round_trip_and_clashes(tmp_path: Path) -> None:
    store = Store(tmp_path / "network.db")
    network = new_network(name="app", driver="bridge", subnet="10.9.0.0/24", labels={"a": "b"})
    store.add_network(network)
    assert store.get("app") == network and store.get(network.id[:5]) == network
    assert store.add_endpoint(endpoint("a", "10.9.0.2"))
    assert not store.add_endpoint(endpoint("b", "10.9.0.2"))  # an address is given once
    assert store.endpoints(ready=False) == [endpoint("a", "10.9.0.2")]
    store.mark_ready("aa")
    assert store.endpoints(ready=True) == [endpoint("a", "10.9.0.2")]
    assert store.add_port(Port("a", "tcp", "", 80, 80))
    assert not store.add_port(Port("b", "tcp", "", 80, 81))
    assert store.owners() == {"a"} and store.has_endpoints(network_id="n1")
    store.forget("a")
    assert store.owners() == set() and not store.has_endpoints()
    linked = Endpoint("c", "n1", "cc", "10.9.0.3", "m", [], "eth0", "v", ["srv:db"])
    assert store.add_endpoint(linked) and store.endpoints("c") == [linked]
    store.close()


def test_a_store_from_before_the_marks_counts_as_complete(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "network.db")
    db.executescript(
        """
        CREATE TABLE endpoints (container_id TEXT, network_id TEXT, endpoint_id TEXT,
            address TEXT, mac TEXT, aliases TEXT, ifname TEXT, host_ifname TEXT);
        INSERT INTO endpoints VALUES ('a', 'n1', 'aa', '10.9.0.2', 'm', '[]', 'eth0', 'v');
        CREATE TABLE sandboxes (container_id TEXT PRIMARY KEY, mode TEXT, netns_path TEXT,
            hostname TEXT);
        INSERT INTO sandboxes VALUES ('a', 'bridge', '', 'a');
        """
    )
    db.commit()
    db.close()
    store = Store(tmp_path / "network.db")
    sandboxes = Sandboxes(store.db, tmp_path, tmp_path / "run", namespaces())
    assert [e.endpoint_id for e in store.endpoints(ready=True)] == ["aa"]
    assert store.endpoints()[0].links == []  # a store from before endpoint links, too
    assert sandboxes.get("a").complete and sandboxes.get("a").spec == {}
    store.close()


def test_a_network_from_before_the_gateway_mark_shows_its_gateway(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "network.db")
    db.executescript(
        """
        CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT,
            subnet TEXT, gateway TEXT, ip_range TEXT, internal INTEGER, options TEXT,
            labels TEXT, created TEXT, interface TEXT);
        INSERT INTO networks VALUES ('n1', 'old', 'bridge', '10.9.0.0/24', '10.9.0.1', '', 0,
            '{}', '{}', '2026-12-01T00:00:00+00:00', 'br-old');
        """
    )
    db.commit()
    db.close()
    store = Store(tmp_path / "network.db")
    assert not store.get("old").gateway_unstated
    fresh = new_network(name="new", driver="bridge", subnet="10.9.1.0/24", gateway_unstated=True)
    store.add_network(fresh)
    assert store.get("new") == fresh and store.get("old").gateway == "10.9.0.1"
    old = store.get("old")  # docker's defaults for what an older store did not record
    assert (old.attachable, old.scope, old.ipam_driver, old.config_only) == (
        False, "local", "default", False,
    )  # fmt: skip
    made = new_network(
        name="made", driver="bridge", subnet="10.9.2.0/24", attachable=True,
        ipam_options={"o": "1"}, aux_addresses={"spare": "10.9.2.9"}, config_from="cfg",
    )  # fmt: skip
    store.add_network(made)
    assert store.get("made") == made
    store.close()
