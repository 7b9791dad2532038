"""NAT and filtering with nftables: one table per engine, changed element by element.

    table ip dockyard_<tag>
      sets      bridges (every bridge of the engine's), internal (of --internal networks),
                loops ("br" . "br": traffic that stays on one bridge), isolated (the loops of
                the networks made with enable_icc=false), subnets (of every bridge network),
                outbound (of the networks whose traffic leaving the host is masqueraded:
                not --internal, nor enable_ip_masquerade=false)
      maps      ports_any  (proto . host port → container address . port): published on every
                           local address; ports_addr (host address . proto . port → …): on one
      prerouting/output (nat)  traffic to a local address → chain `ports`: one lookup in each
                               map, DNAT on a hit (loopback included: the bridges have
                               route_localnet, and postrouting masquerades 127/8 onto them)
      postrouting (nat)        masquerade what leaves an outbound network for elsewhere, and
                               DNATed traffic entering a bridge from loopback or from one of our
                               networks (hairpin); other clients keep their address
      forward (filter)         internal networks neither send nor receive beyond their bridge;
                               distinct bridge networks do not reach each other, except
                               through a published port; on an enable_icc=false network its
                               containers do not reach each other either, except through a
                               published port (libnetwork's `-i br -o br -j DROP`): traffic
                               between two ports of a bridge is seen here through
                               br_netfilter (bridge-nf-call-iptables), as docker's is
      localnet (raw)           a packet for 127.0.0.0/8 arriving from a bridge is dropped before
                               conntrack: route_localnet would otherwise hand it to the host's
                               loopback-only services (CVE-2020-8558, as kube-proxy guards it);
                               replies to DNATed loopback clients arrive for the gateway's
                               address and become 127.0.0.1 only after this, so they pass

The rules are fixed; what changes is set and map elements, so a change touches only its own:
a network adds or deletes its bridge's elements, a container its ports' (none without
published ports), each in one transaction. `render` writes the whole table from the records
(delete and recreate, one transaction: the kernel holds the old table or the new), which is
how start-up repair reconciles rules with records, and how a change recovers when someone
removed the table under us. A removal adds its elements before deleting them, so removing
what is already gone succeeds (idempotent teardown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dockyard.api.errors import Internal


@dataclass(frozen=True)
class Bridge:
    interface: str
    subnet: str
    internal: bool
    icc: bool = True  # its containers may reach each other (libnetwork's enable_icc)
    masquerade: bool = True  # what leaves the host takes the host's address (enable_ip_masquerade)


@dataclass(frozen=True)
class Forward:
    protocol: str  # tcp | udp
    host_ip: str  # "" = any local address
    host_port: int
    container_ip: str
    container_port: int


SKELETON = """\
table ip {table}
delete table ip {table}
table ip {table} {{
  set bridges {{ type ifname; }}
  set internal {{ type ifname; }}
  set loops {{ type ifname . ifname; }}
  set isolated {{ type ifname . ifname; }}
  set subnets {{ type ipv4_addr; flags interval; }}
  set outbound {{ type ipv4_addr; flags interval; }}
  map ports_any {{ type inet_proto . inet_service : ipv4_addr . inet_service; }}
  map ports_addr {{ type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }}
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump ports
  }}
  chain output {{
    type nat hook output priority -100; policy accept;
    fib daddr type local jump ports
  }}
  chain ports {{
    dnat ip to ip daddr . meta l4proto . th dport map @ports_addr
    dnat ip to meta l4proto . th dport map @ports_any
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr @outbound oifname != @bridges masquerade
    oifname @bridges ct status dnat ip saddr 127.0.0.0/8 masquerade
    oifname @bridges ct status dnat ip saddr @subnets masquerade
  }}
  chain forward {{
    type filter hook forward priority filter; policy accept;
    iifname @internal iifname . oifname != @loops drop
    oifname @internal iifname . oifname != @loops drop
    ct status dnat accept
    iifname @bridges oifname @bridges iifname . oifname != @loops drop
    iifname . oifname @isolated drop
  }}
  chain localnet {{
    type filter hook prerouting priority raw; policy accept;
    iifname @bridges ip daddr 127.0.0.0/8 drop
  }}
}}
"""


def render(table: str, bridges: Iterable[Bridge], forwards: Iterable[Forward]) -> str:
    """The whole table, with the elements of `bridges` and `forwards`."""
    lines = [f"add element ip {table} {e}" for b in bridges for e in _bridge(b)]
    lines += [f"add element ip {table} {e}" for f in forwards for e in _forward(f)]
    return SKELETON.format(table=table) + "".join(f"{line}\n" for line in lines)


def add_bridge(table: str, bridge: Bridge) -> str:
    return "".join(f"add element ip {table} {e}\n" for e in _bridge(bridge))


def remove_bridge(table: str, bridge: Bridge) -> str:
    return _remove(table, _bridge(bridge))


def add_forwards(table: str, forwards: Iterable[Forward]) -> str:
    return "".join(f"add element ip {table} {e}\n" for f in forwards for e in _forward(f))


def remove_forwards(table: str, forwards: Iterable[Forward]) -> str:
    return _remove(table, [e for f in forwards for e in _forward(f)])


def delete(table: str) -> str:
    """Delete the table (and so every rule of the engine's) if it exists."""
    return f"table ip {table}\ndelete table ip {table}\n"


def _remove(table: str, elements: list[str]) -> str:
    added = "".join(f"add element ip {table} {e}\n" for e in elements)
    return added + "".join(f"delete element ip {table} {_key(e)}\n" for e in elements)


def _bridge(b: Bridge) -> list[str]:
    name = f'"{b.interface}"'
    elements = [
        f"bridges {{ {name} }}",
        f"loops {{ {name} . {name} }}",
        f"subnets {{ {b.subnet} }}",
    ]
    if b.internal:
        elements.append(f"internal {{ {name} }}")
    elif b.masquerade:
        elements.append(f"outbound {{ {b.subnet} }}")
    if not b.icc:
        elements.append(f"isolated {{ {name} . {name} }}")
    return elements


def _forward(f: Forward) -> list[str]:
    key = f"{f.protocol} . {f.host_port}"
    target = f"{f.container_ip} . {f.container_port}"
    if f.host_ip:
        return [f"ports_addr {{ {f.host_ip} . {key} : {target} }}"]
    return [f"ports_any {{ {key} : {target} }}"]


def _key(element: str) -> str:
    """A map element without its value (what `delete element` takes)."""
    if " : " not in element:
        return element
    return element.split(" : ")[0] + " }"


class Rules:
    """The engine's table, changed through `run` (nft.run; a recorder in unit tests).

    `records` gives what the table should hold according to the records; a change that fails
    (the table was removed or changed under us) rewrites the whole table from them once."""

    def __init__(
        self,
        table: str,
        run: Callable[[str], None],
        records: Callable[[], tuple[list[Bridge], list[Forward]]],
    ) -> None:
        self.table = table
        self._run = run
        self._records = records

    def replace(self) -> None:
        """The whole table from the records (start-up repair)."""
        self._run(render(self.table, *self._records()))

    def change(self, script: str) -> None:
        if not script:
            return
        try:
            self._run(script)
        except Internal:  # the table was removed or changed under us: rewrite it from records
            self.replace()

    def delete(self) -> None:
        self._run(delete(self.table))
