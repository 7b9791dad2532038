"""The one nfnetlink question the network service asks: the names of the nf_tables tables of
a family (forward.py: has iptables-nft made its "filter" table?).

An NFT_MSG_GETTABLE dump on a NETLINK_NETFILTER socket (linux/netfilter/nfnetlink.h,
linux/netfilter/nf_tables.h): each message is a `struct nfgenmsg` (family, version, resource
id) and the table's attributes, NFTA_TABLE_NAME among them. Reads names only, where
`nft list tables` would read every rule, set and element of every table first.
"""

from __future__ import annotations

import struct

from dockyard.services.network import nlwire
from dockyard.services.network.netlink import NETLINK_NETFILTER, Netlink

NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETTABLE = 1
NFGEN = struct.Struct("=BBH")  # struct nfgenmsg: family, version, res_id (big-endian; 0 here)
NFNETLINK_V0 = 0
NFTA_TABLE_NAME = 1


def get_tables(family: int) -> bytes:
    """The body of a dump request for the tables of `family` (NFPROTO_*: 2 is ip, 1 inet)."""
    return NFGEN.pack(family, NFNETLINK_V0, 0)


def table_name(body: bytes) -> str:
    return nlwire.string(nlwire.parse_attrs(body, NFGEN.size).get(NFTA_TABLE_NAME, b""))


def table_names(family: int) -> list[str]:
    """The names of the calling thread's namespace's nf_tables tables of `family`."""
    with Netlink(NETLINK_NETFILTER) as nl:
        bodies = nl.dump(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE, get_tables(family))
    return [table_name(body) for body in bodies]
