"""The engine's nft table: fixed rules, and elements changed one network or container at a time."""

from __future__ import annotations

import pytest
from dockyard.api.errors import Internal
from dockyard.services.network import nat

from tests.unit.network.fakes import FakeNft

BR0 = nat.Bridge("br0", "10.9.0.0/24", False)
BR1 = nat.Bridge("br1", "10.8.0.0/24", True)
WEB = nat.Forward("tcp", "", 8080, "10.9.0.2", 80)
DNS = nat.Forward("udp", "127.0.0.1", 5353, "10.9.0.3", 53)


def test_the_table_is_replaced_whole_in_one_transaction() -> None:
    lines = nat.render("dockyard_ab12", [], []).splitlines()
    assert lines[:3] == [
        "table ip dockyard_ab12",
        "delete table ip dockyard_ab12",
        "table ip dockyard_ab12 {",
    ]


def test_published_ports_dnat_for_local_addresses_only() -> None:
    script = nat.render("t", [BR0], [WEB, DNS])
    assert "fib daddr type local jump ports" in script
    assert "dnat ip to meta l4proto . th dport map @ports_any" in script
    assert "add element ip t ports_any { tcp . 8080 : 10.9.0.2 . 80 }" in script
    assert "add element ip t ports_addr { 127.0.0.1 . udp . 5353 : 10.9.0.3 . 53 }" in script


def test_masquerade_out_of_a_network_and_for_loopback_and_hairpin() -> None:
    script = nat.render("t", [BR0, BR1], [])
    assert "ip saddr @outbound oifname != @bridges masquerade" in script
    assert "oifname @bridges ct status dnat ip saddr 127.0.0.0/8 masquerade" in script
    assert "oifname @bridges ct status dnat ip saddr @subnets masquerade" in script
    assert "add element ip t outbound { 10.9.0.0/24 }" in script
    assert "outbound { 10.8.0.0/24 }" not in script  # an internal network is never masqueraded


def test_internal_networks_neither_send_nor_receive_and_bridges_are_isolated() -> None:
    script = nat.render("t", [BR0, BR1], [])
    assert "iifname @internal iifname . oifname != @loops drop" in script
    assert "oifname @internal iifname . oifname != @loops drop" in script
    assert "iifname @bridges oifname @bridges iifname . oifname != @loops drop" in script
    assert script.index("ct status dnat accept") < script.index("iifname @bridges oifname")
    assert 'add element ip t internal { "br1" }' in script
    assert 'add element ip t loops { "br1" . "br1" }' in script


def test_packets_for_loopback_from_a_bridge_are_dropped_before_conntrack() -> None:
    script = nat.render("t", [BR0], [])
    chain = script[script.index("chain localnet") :]
    assert "type filter hook prerouting priority raw;" in chain
    assert "iifname @bridges ip daddr 127.0.0.0/8 drop" in chain
    assert 'add element ip t bridges { "br0" }' in script


def test_a_change_touches_only_its_own_elements() -> None:
    nft = FakeNft()
    nft(nat.render("t", [BR0], [WEB]))
    nft(nat.add_bridge("t", BR1))
    nft(nat.add_forwards("t", [DNS]))
    assert set(nft.elements("t", "bridges")) == {'"br0"', '"br1"'}
    nft(nat.remove_forwards("t", [WEB]))
    nft(nat.remove_bridge("t", BR0))
    assert nft.elements("t", "ports_any") == {}
    assert nft.elements("t", "ports_addr") == {"127.0.0.1 . udp . 5353": "10.9.0.3 . 53"}
    assert set(nft.elements("t", "bridges")) == {'"br1"'}
    assert nft.elements("t", "outbound") == {}


def test_removing_what_is_gone_succeeds_and_scripts_are_transactions() -> None:
    nft = FakeNft()
    nft(nat.render("t", [], []))
    nft(nat.remove_forwards("t", [WEB]))  # already gone: still fine (teardown is idempotent)
    nft(nat.add_forwards("t", [WEB]))
    clash = nat.Forward("tcp", "", 8080, "10.9.0.9", 80)
    with pytest.raises(Internal):
        nft(nat.add_forwards("t", [DNS, clash]))
    assert nft.elements("t", "ports_addr") == {}  # nothing of a failed script stays


def test_a_failed_change_rewrites_the_table_from_the_records() -> None:
    nft = FakeNft()
    rules = nat.Rules("t", nft, lambda: ([BR0], [WEB]))
    rules.change(nat.add_forwards("t", [WEB]))  # no table yet: rewritten whole
    assert nft.elements("t", "ports_any") == {"tcp . 8080": "10.9.0.2 . 80"}
    rules.change("")  # nothing to change: nothing run
    assert len(nft.scripts) == 2
    rules.delete()
    assert "t" not in nft.tables


def test_a_network_without_icc_drops_what_stays_on_its_bridge_but_published_ports() -> None:
    apart = nat.Bridge("br2", "10.0.2.0/24", internal=False, icc=False)
    script = nat.render("t", [BR0, apart], [])
    assert "iifname . oifname @isolated drop" in script
    assert script.index("ct status dnat accept") < script.index("@isolated drop")
    assert 'add element ip t isolated { "br2" . "br2" }' in script
    assert 'isolated { "br0"' not in script
    nft = FakeNft()
    nft(script)
    nft(nat.remove_bridge("t", apart))
    assert nft.elements("t", "isolated") == {}


def test_a_network_without_masquerade_is_not_outbound() -> None:
    plain = nat.Bridge("br3", "10.0.3.0/24", internal=False, masquerade=False)
    script = nat.render("t", [BR0, plain], [])
    assert "add element ip t outbound { 10.0.3.0/24 }" not in script
    assert 'add element ip t bridges { "br3" }' in script
