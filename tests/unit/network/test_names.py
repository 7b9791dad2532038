"""The embedded DNS's name table: scoped by network, changed entry by entry."""

from __future__ import annotations

from dockyard.services.network.names import NameTable


def test_names_are_answered_on_shared_networks_only() -> None:
    table = NameTable()
    table.add("api", "net1", {"api", "Backend", ""}, "10.0.0.2")
    table.add("client", "net1", {"client"}, "10.0.0.3")
    table.add("stranger", "net2", {"stranger"}, "10.1.0.2")
    assert table.lookup("client", "backend.") == ["10.0.0.2"]
    assert table.lookup("stranger", "api") is None
    assert table.lookup("nobody", "api") is None


def test_one_name_on_two_containers_and_removal() -> None:
    table = NameTable()
    table.add("a", "net", {"web"}, "10.0.0.2")
    table.add("b", "net", {"web"}, "10.0.0.3")
    table.add("b", "other", {"web"}, "10.1.0.3")
    assert table.lookup("a", "web") == ["10.0.0.2", "10.0.0.3"]
    table.remove("b", "net")
    assert table.lookup("a", "web") == ["10.0.0.2"]
    assert table.lookup("b", "web") == ["10.1.0.3"]  # still known on its other network
    table.remove("a", "net")
    table.remove("a", "net")  # twice is fine
    assert table.lookup("a", "web") is None


def test_adding_again_replaces_the_entry() -> None:
    table = NameTable()
    table.add("a", "net", {"old"}, "10.0.0.2")
    table.add("a", "net", {"new"}, "10.0.0.4")
    assert table.lookup("a", "old") is None and table.lookup("a", "new") == ["10.0.0.4"]
    table.clear()
    assert table.lookup("a", "new") is None


def test_an_endpoints_links_are_its_containers_alone() -> None:
    """libnetwork's per-endpoint aliases: `--link srv:store` on a user network."""
    table = NameTable()
    table.add("srv", "net", {"srv"}, "10.0.0.2")
    table.add("store", "net", {"store"}, "10.0.0.9")  # a container that is named store
    table.add("cli", "net", {"cli"}, "10.0.0.3")
    table.add("other", "net", {"other"}, "10.0.0.4")
    table.link("cli", "net", ["srv:Store", "/srv:/cli/db", "nowhere:gone"])
    assert table.lookup("cli", "store.") == ["10.0.0.2"]  # the link before the name
    assert table.lookup("cli", "db") == ["10.0.0.2"]
    assert table.lookup("cli", "gone") is None  # its name is no one's on the network
    assert table.lookup("other", "store") == ["10.0.0.9"]
    table.remove("cli", "net")
    assert table.lookup("cli", "db") is None
