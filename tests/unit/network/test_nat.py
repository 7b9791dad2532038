from __future__ import annotations

from dockyard.services.network import nat


def test_the_table_is_replaced_whole_in_one_transaction() -> None:
    script = nat.render("dockyard_ab12", [], [])
    lines = script.splitlines()
    assert lines[:3] == [
        "table ip dockyard_ab12",
        "delete table ip dockyard_ab12",
        "table ip dockyard_ab12 {",
    ]


def test_published_ports_dnat_for_local_addresses_only() -> None:
    forwards = [
        nat.Forward("tcp", "", 8080, "10.9.0.2", 80),
        nat.Forward("udp", "127.0.0.1", 5353, "10.9.0.3", 53),
    ]
    script = nat.render("t", [nat.Bridge("br0", "10.9.0.0/24", False)], forwards)
    assert "fib daddr type local jump ports" in script
    assert "    tcp dport 8080 dnat to 10.9.0.2:80" in script
    assert "    ip daddr 127.0.0.1 udp dport 5353 dnat to 10.9.0.3:53" in script


def test_masquerade_out_of_a_network_and_for_loopback_and_hairpin() -> None:
    script = nat.render("t", [nat.Bridge("br0", "10.9.0.0/24", False)], [])
    assert 'ip saddr 10.9.0.0/24 oifname != "br0" masquerade' in script
    assert 'oifname "br0" ct status dnat ip saddr { 127.0.0.0/8, 10.9.0.0/24 } masquerade' in script


def test_internal_networks_neither_send_nor_receive_and_bridges_are_isolated() -> None:
    bridges = [nat.Bridge("br0", "10.9.0.0/24", False), nat.Bridge("br1", "10.8.0.0/24", True)]
    script = nat.render("t", bridges, [])
    assert "ip saddr 10.8.0.0/24" not in script  # never masqueraded
    assert 'iifname "br1" oifname != "br1" drop' in script
    assert 'oifname "br1" iifname != "br1" drop' in script
    assert 'iifname "br0" oifname "br1" drop' in script
    assert script.index("ct status dnat accept") < script.index('iifname "br0" oifname "br1" drop')


def test_packets_for_loopback_from_a_bridge_are_dropped_before_conntrack() -> None:
    bridges = [nat.Bridge("br0", "10.9.0.0/24", False), nat.Bridge("br1", "10.8.0.0/24", True)]
    script = nat.render("t", bridges, [])
    chain = script[script.index("chain localnet") :]
    assert "type filter hook prerouting priority raw;" in chain
    assert 'iifname { "br0", "br1" } ip daddr 127.0.0.0/8 drop' in chain
