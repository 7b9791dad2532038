"""NAT and filtering with nftables: one table per engine, rewritten whole on every change.

    table ip dockyard_<tag>
      prerouting/output (nat)  traffic to a local address → chain `ports`
      ports                    one DNAT rule per published port (loopback included: the bridge
                               has route_localnet, and postrouting masquerades 127/8 onto it)
      postrouting (nat)        masquerade what leaves a network for elsewhere; masquerade
                               DNATed traffic entering a bridge from loopback or from the
                               bridge itself (hairpin); other clients keep their address
      forward (filter)         internal networks neither send nor receive beyond their bridge;
                               distinct bridge networks do not reach each other, except
                               through a published port
      localnet (raw)           a packet for 127.0.0.0/8 arriving from a bridge is dropped before
                               conntrack: route_localnet would otherwise hand it to the host's
                               loopback-only services (CVE-2020-8558, as kube-proxy guards it);
                               replies to DNATed loopback clients arrive for the gateway's
                               address and become 127.0.0.1 only after this, so they pass

The script (`render`, pure) deletes and recreates the table in one `nft -f` transaction, so
the kernel holds either the old rules or the new ones, and start-up repair is a rewrite.
No helper process per port: the kernel does the forwarding.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

from dockyard.api.errors import Internal


@dataclass(frozen=True)
class Bridge:
    interface: str
    subnet: str
    internal: bool


@dataclass(frozen=True)
class Forward:
    protocol: str  # tcp | udp
    host_ip: str  # "" = any local address
    host_port: int
    container_ip: str
    container_port: int


def render(table: str, bridges: list[Bridge], forwards: list[Forward]) -> str:
    lines = [
        f"table ip {table}",
        f"delete table ip {table}",
        f"table ip {table} {{",
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        "    fib daddr type local jump ports",
        "  }",
        "  chain output {",
        "    type nat hook output priority -100; policy accept;",
        "    fib daddr type local jump ports",
        "  }",
        "  chain ports {",
    ]
    for f in forwards:
        match = f"ip daddr {f.host_ip} " if f.host_ip else ""
        lines.append(
            f"    {match}{f.protocol} dport {f.host_port} "
            f"dnat to {f.container_ip}:{f.container_port}"
        )
    lines += [
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
    ]
    for b in bridges:
        if not b.internal:
            lines.append(f'    ip saddr {b.subnet} oifname != "{b.interface}" masquerade')
        lines.append(
            f'    oifname "{b.interface}" ct status dnat ip saddr {{ 127.0.0.0/8, {b.subnet} }} '
            "masquerade"
        )
    lines += [
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
    ]
    for b in bridges:
        if b.internal:
            lines.append(f'    iifname "{b.interface}" oifname != "{b.interface}" drop')
            lines.append(f'    oifname "{b.interface}" iifname != "{b.interface}" drop')
    lines.append("    ct status dnat accept")
    for b in bridges:
        for other in bridges:
            if other.interface != b.interface:
                lines.append(f'    iifname "{b.interface}" oifname "{other.interface}" drop')
    lines += ["  }", *_localnet(bridges), "}", ""]
    return "\n".join(lines)


def _localnet(bridges: list[Bridge]) -> list[str]:
    lines = [
        "  chain localnet {",
        "    type filter hook prerouting priority raw; policy accept;",
    ]
    if bridges:
        names = ", ".join(f'"{b.interface}"' for b in bridges)
        lines.append(f"    iifname {{ {names} }} ip daddr 127.0.0.0/8 drop")
    return [*lines, "  }"]


def apply(script: str) -> None:
    result = subprocess.run(
        ["nft", "-f", "-"], input=script, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise Internal(f"nft: {result.stderr.strip() or 'failed'}")


def delete(table: str) -> None:
    subprocess.run(["nft", "delete", "table", "ip", table], capture_output=True, check=False)


def open_forward(tag: str, interfaces: list[str]) -> None:
    """Let our bridges' traffic past another firewall's FORWARD policy of DROP.

    Docker (iptables mode) sets that policy and loads br_netfilter, after which even traffic
    between two containers on one of our bridges crosses iptables' FORWARD chain and is dropped:
    an accept in our own table cannot overrule another table's drop. So, only while the policy
    is DROP (or docker's DOCKER-USER chain exists), ACCEPT rules for our bridges go where docker
    wants users' rules, tagged with a comment and kept in step with our bridges; ours to remove.
    """
    if not _iptables_installed() or not _iptables_in_use():
        return
    comment = f"dockyard_{tag}"
    listing = _iptables("-S").splitlines()
    chain = "DOCKER-USER" if "-N DOCKER-USER" in listing else "FORWARD"
    dropping = "-P FORWARD DROP" in listing or chain == "DOCKER-USER"
    wanted = {f"-{d} {i}" for i in interfaces for d in ("i", "o")} if dropping else set()
    for line in listing:
        if f"--comment {comment}" not in line and f'--comment "{comment}"' not in line:
            continue
        rule = line.split()[1:]  # "-A CHAIN ..." → "CHAIN ..."
        direction = " ".join(rule[1:3])  # "-i br" / "-o br"
        if direction in wanted and rule[0] == chain:
            wanted.discard(direction)
        else:
            _iptables("-D", *rule)
    for direction in sorted(wanted):
        flag, interface = direction.split()
        _iptables(
            "-I", chain, flag, interface, "-m", "comment", "--comment", comment, "-j", "ACCEPT"
        )


def close_forward(tag: str) -> None:
    """Remove every FORWARD exception `open_forward` made for this engine."""
    open_forward(tag, [])


@functools.cache
def _iptables_installed() -> bool:
    return shutil.which("iptables") is not None


@functools.cache
def _iptables_nft() -> bool:
    """iptables-nft rather than legacy (asked once: every change of rules would ask again)."""
    version = subprocess.run(["iptables", "-V"], capture_output=True, text=True, check=False)
    return "nf_tables" in version.stdout


def _iptables_in_use() -> bool:
    """Whether any iptables rules exist to get past; asking iptables-nft to list rules would
    create its (empty) filter table on a host that has none."""
    if not _iptables_nft():
        return True  # legacy iptables: listing creates nothing
    tables = subprocess.run(
        ["nft", "list", "tables", "ip"], capture_output=True, text=True, check=False
    ).stdout
    return "table ip filter" in tables.split("\n")


def _iptables(*args: str) -> str:
    result = subprocess.run(["iptables", "-w", *args], capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else ""
