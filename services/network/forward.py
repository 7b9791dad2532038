"""Our bridges' way past another firewall's FORWARD policy of DROP (iptables).

Docker (iptables mode) sets that policy and loads br_netfilter, after which even traffic
between two containers on one of our bridges crosses iptables' FORWARD chain and is dropped:
an accept in our own table cannot overrule another table's drop. So, only while the policy
is DROP (or docker's DOCKER-USER chain exists), ACCEPT rules for our bridges go where docker
wants users' rules, tagged with a comment and kept in step with our bridges; ours to remove.
Nothing is asked of iptables on a host that has no iptables rules (or no iptables at all).
"""

from __future__ import annotations

import functools
import shutil
import socket
import subprocess

from dockyard.services.network import nfnl


def open_forward(tag: str, interfaces: list[str]) -> None:
    """ACCEPTs in and out of `interfaces` while a FORWARD DROP lasts; no other of ours."""
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
    create its (empty) filter table on a host that has none. Asked of the kernel directly (one
    netlink dump of the tables' names): every sandbox asks, and `nft list tables` reads every
    rule, set and element of every table first (~400 messages here, 30-80 ms on a busy host)."""
    if not _iptables_nft():
        return True  # legacy iptables: listing creates nothing
    try:
        return "filter" in nfnl.table_names(socket.AF_INET)
    except OSError:  # as `nft list tables` failing did: no iptables-nft rules
        return False


def _iptables(*args: str) -> str:
    result = subprocess.run(["iptables", "-w", *args], capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else ""
