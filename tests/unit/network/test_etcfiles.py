from __future__ import annotations

from dockyard.services.network.etcfiles import FALLBACK_NAMESERVERS, container_resolv_conf


def test_loopback_nameservers_are_dropped() -> None:
    text = container_resolv_conf(
        "search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions ndots:1\n"
    )
    assert text == "search lan\nnameserver 10.0.0.2\noptions ndots:1\n"


def test_only_loopback_falls_back_to_dockers_defaults() -> None:
    text = container_resolv_conf("nameserver 127.0.0.53\n")
    assert text.splitlines() == [f"nameserver {s}" for s in FALLBACK_NAMESERVERS]


def test_hosts_extra_hosts_then_links_then_the_containers_own_line() -> None:
    from dockyard.services.network.etcfiles import HOSTS_HEADER, Container, hosts
    from dockyard.services.network.store import Endpoint, new_network

    network = new_network(name="bridge", driver="bridge", subnet="10.9.0.0/24", gateway="10.9.0.1")
    endpoint = Endpoint("c" * 64, network.id, "e" * 64, "10.9.0.5", "", [], "eth0", "veth")
    spec = {"extra_hosts": ["db.local:10.250.0.7", "d dbhost db:10.9.0.3"]}
    text = hosts(Container("bridge", "me", spec, [(endpoint, network)]))
    assert text == HOSTS_HEADER + "10.250.0.7\tdb.local\n10.9.0.3\td dbhost db\n10.9.0.5\tme\n"
