"""Netlink messages as bytes (nlwire.py, rtnl.py, nfnl.py): what we send, byte by byte as the
kernel's structs lay them out, and how the kernel's replies are taken apart. No socket here:
tests/integration/network/test_netlink_kernel.py sends them to the real kernel.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

import pytest
from dockyard.services.network import netlink, nfnl, nlwire, rtnl
from dockyard.services.network.nlwire import Message


def nlattr(kind: int, value: bytes) -> bytes:
    """One attribute as linux/netlink.h lays it out, padded to 4 bytes."""
    raw = struct.pack("=HH", 4 + len(value), kind) + value
    return raw + bytes(-len(raw) % 4)


def test_a_message_is_its_header_and_body() -> None:
    sent = nlwire.message(16, nlwire.NLM_F_REQUEST | nlwire.NLM_F_ACK, 7, b"abcd")
    assert sent == struct.pack("=IHHII", 20, 16, 5, 7, 0) + b"abcd"


def test_attributes_are_padded_and_strings_end_in_nul() -> None:
    assert nlwire.attrs((3, "eth0")) == struct.pack("=HH", 9, 3) + b"eth0\0" + bytes(3)
    assert nlwire.attrs((3, "br0")) == struct.pack("=HH", 8, 3) + b"br0\0"
    assert nlwire.attrs((10, 7)) == struct.pack("=HHI", 8, 10, 7)
    assert nlwire.attrs((1, b"\x01\x02")) == struct.pack("=HH", 6, 1) + b"\x01\x02\0\0"


def test_a_bridge_request_byte_by_byte() -> None:
    ifinfomsg = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
    linkinfo = nlattr(rtnl.IFLA_LINKINFO, nlattr(rtnl.IFLA_INFO_KIND, b"bridge\0"))
    assert rtnl.new_bridge("br0") == ifinfomsg + nlattr(rtnl.IFLA_IFNAME, b"br0\0") + linkinfo


def test_a_veth_request_carries_its_peer_nested() -> None:
    body = rtnl.new_veth("dv0", 4, "eth0", "02:42:0a:00:00:02", 9)
    family, _, index, flags, change = struct.unpack_from("=BxHiII", body)
    assert (family, index, flags, change) == (0, 0, rtnl.IFF_UP, rtnl.IFF_UP)
    top = nlwire.parse_attrs(body, 16)
    assert nlwire.string(top[rtnl.IFLA_IFNAME]) == "dv0"
    assert nlwire.u32(top[rtnl.IFLA_MASTER]) == 4
    info = nlwire.parse_attrs(top[rtnl.IFLA_LINKINFO])
    assert nlwire.string(info[rtnl.IFLA_INFO_KIND]) == "veth"
    peer = nlwire.parse_attrs(info[rtnl.IFLA_INFO_DATA])[rtnl.VETH_INFO_PEER]
    assert peer[:16] == bytes(16)  # the peer's own ifinfomsg
    peer_attrs = nlwire.parse_attrs(peer, 16)
    assert nlwire.string(peer_attrs[rtnl.IFLA_IFNAME]) == "eth0"
    assert peer_attrs[rtnl.IFLA_ADDRESS] == bytes([2, 0x42, 10, 0, 0, 2])
    assert nlwire.u32(peer_attrs[rtnl.IFLA_NET_NS_FD]) == 9
    assert rtnl.IFLA_MTU not in top and rtnl.IFLA_MTU not in peer_attrs  # the kernel's default


def test_a_veth_of_a_given_mtu_has_it_on_both_ends() -> None:
    body = rtnl.new_veth("dv0", 4, "eth0", "02:42:0a:00:00:02", 9, mtu=1400)
    top = nlwire.parse_attrs(body, 16)
    info = nlwire.parse_attrs(top[rtnl.IFLA_LINKINFO])
    peer = nlwire.parse_attrs(
        nlwire.parse_attrs(info[rtnl.IFLA_INFO_DATA])[rtnl.VETH_INFO_PEER], 16
    )
    assert nlwire.u32(top[rtnl.IFLA_MTU]) == nlwire.u32(peer[rtnl.IFLA_MTU]) == 1400


def test_a_macvlan_request_names_its_lower_link_mode_and_namespace() -> None:
    body = rtnl.new_macvlan("eth1", "02:42:0a:00:00:03", 3, "bridge", 11)
    top = nlwire.parse_attrs(body, 16)
    assert nlwire.u32(top[rtnl.IFLA_LINK]) == 3
    assert nlwire.u32(top[rtnl.IFLA_NET_NS_FD]) == 11
    info = nlwire.parse_attrs(top[rtnl.IFLA_LINKINFO])
    data = nlwire.parse_attrs(info[rtnl.IFLA_INFO_DATA])
    assert nlwire.u32(data[rtnl.IFLA_MACVLAN_MODE]) == 4  # MACVLAN_MODE_BRIDGE
    with pytest.raises(ValueError, match="unknown macvlan mode"):
        rtnl.new_macvlan("eth1", "02:42:0a:00:00:03", 3, "bogus", 11)


def test_an_address_and_a_default_route_byte_by_byte() -> None:
    ip = bytes([10, 1, 2, 3])
    assert rtnl.address(5, IPv4Interface("10.1.2.3/24")) == struct.pack(
        "=BBBBI", socket.AF_INET, 24, 0, 0, 5
    ) + nlattr(rtnl.IFA_LOCAL, ip) + nlattr(rtnl.IFA_ADDRESS, ip)
    route = rtnl.default_route(IPv4Address("10.1.2.1"), 5)
    assert route == struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 254, 3, 0, 1, 0) + nlattr(
        rtnl.RTA_GATEWAY, bytes([10, 1, 2, 1])
    ) + nlattr(rtnl.RTA_OIF, struct.pack("=I", 5))


def test_a_mac_address_must_have_six_bytes() -> None:
    with pytest.raises(ValueError, match="not a MAC address"):
        rtnl.mac("02:42:0a")


def test_one_datagram_holds_several_messages() -> None:
    first = nlwire.message(16, nlwire.NLM_F_MULTI, 3, b"abcde")  # padded to 24 bytes
    done = nlwire.message(nlwire.NLMSG_DONE, nlwire.NLM_F_MULTI, 3, struct.pack("=i", 0))
    found = list(nlwire.messages(first + bytes(3) + done))
    assert [(m.kind, m.seq, m.body) for m in found] == [
        (16, 3, b"abcde"),
        (nlwire.NLMSG_DONE, 3, bytes(4)),
    ]


def test_a_truncated_message_is_an_error() -> None:
    whole = nlwire.message(16, 0, 1, bytes(20))
    with pytest.raises(ValueError, match="malformed netlink message"):
        list(nlwire.messages(whole[:30]))
    with pytest.raises(ValueError, match="malformed netlink attribute"):
        nlwire.parse_attrs(struct.pack("=HH", 40, 1) + bytes(8))


def reply(flags: int, code: int, tail: bytes = b"") -> Message:
    request = struct.pack("=IHHII", 36, 16, 5, 9, 0)
    return Message(nlwire.NLMSG_ERROR, flags, 9, 0, struct.pack("=i", -code) + request + tail)


def test_an_error_is_its_errno_and_the_kernels_words() -> None:
    assert nlwire.error_of(reply(0, 0)) == (0, "")  # an ack
    assert nlwire.error_of(reply(0, errno.EEXIST)) == (errno.EEXIST, "")
    capped = reply(nlwire.NLM_F_CAPPED | nlwire.NLM_F_ACK_TLVS, errno.EINVAL, nlattr(1, b"no\0"))
    assert nlwire.error_of(capped) == (errno.EINVAL, "no")
    whole = reply(nlwire.NLM_F_ACK_TLVS, errno.ENODEV, bytes(20) + nlattr(1, b"gone\0"))
    assert nlwire.error_of(whole) == (errno.ENODEV, "gone")  # past the request's own body


def test_replies_are_read_into_links_addresses_and_routes() -> None:
    link = struct.pack("=BxHiII", 0, 1, 7, 0, 0) + nlwire.attrs((3, "veth1"), (10, 4))
    assert rtnl.link_of(link) == rtnl.Link(7, "veth1", 4)
    unenslaved = struct.pack("=BxHiII", 0, 1, 8, 0, 0) + nlwire.attrs((3, "lo"))
    assert rtnl.link_of(unenslaved) == rtnl.Link(8, "lo", None)
    addr = struct.pack("=BBBBI", socket.AF_INET, 16, 0, 0, 7) + nlwire.attrs((1, b"\n\0\0\1"))
    assert rtnl.address_of(addr) == (7, IPv4Interface("10.0.0.1/16"))
    six = struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 0, 7) + nlwire.attrs((1, bytes(16)))
    assert rtnl.address_of(six) is None
    route = struct.pack("=BBBBBBBBI", socket.AF_INET, 24, 0, 0, 252, 2, 0, 1, 0)
    with_table = route + nlwire.attrs((rtnl.RTA_DST, b"\xc0\xa8\1\0"), (rtnl.RTA_TABLE, 1000))
    assert rtnl.route_of(with_table) == (1000, IPv4Network("192.168.1.0/24"))
    default = struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 254, 2, 0, 1, 0)
    assert rtnl.route_of(default) == (254, IPv4Network("0.0.0.0/0"))


def test_an_nf_tables_dump_asks_by_family_and_reads_names() -> None:
    assert nfnl.get_tables(socket.AF_INET) == bytes([socket.AF_INET, 0, 0, 0])
    table = bytes([2, 0, 0, 5]) + nlwire.attrs((nfnl.NFTA_TABLE_NAME, "filter"), (2, 0))
    assert nfnl.table_name(table) == "filter"


class ScriptedKernel:
    """A netlink socket's far end: answers each request with the datagrams `script` makes of
    its sequence number, (data, recvmsg flags, sender port) each."""

    def __init__(self, script: Callable[[int], list[tuple[bytes, int, int]]]) -> None:
        self.script = script
        self.queued: list[tuple[bytes, int, int]] = []
        self.requests: list[Message] = []
        self.closed = False

    def sendto(self, data: bytes, address: tuple[int, int], /) -> int:
        (request,) = nlwire.messages(data)
        self.requests.append(request)
        self.queued += self.script(request.seq)
        return len(data)

    def recvmsg(self, size: int, /) -> tuple[bytes, list[Any], int, Any]:
        data, flags, port = self.queued.pop(0)
        return data, [], flags, (port, 0)

    def close(self) -> None:
        self.closed = True


def link(seq: int, name: str, flags: int = nlwire.NLM_F_MULTI) -> bytes:
    return nlwire.message(rtnl.RTM_NEWLINK, flags, seq, rtnl.ifinfo() + nlwire.attrs((3, name)))


def done(seq: int, code: int = 0) -> bytes:
    return nlwire.message(nlwire.NLMSG_DONE, nlwire.NLM_F_MULTI, seq, struct.pack("=i", -code))


def ack(seq: int, code: int = 0, text: str = "") -> bytes:
    tail = nlwire.attrs((nlwire.NLMSGERR_ATTR_MSG, text)) if text else b""
    flags = nlwire.NLM_F_CAPPED | (nlwire.NLM_F_ACK_TLVS if text else 0)
    body = struct.pack("=i", -code) + struct.pack("=IHHII", 16, 16, 5, seq, 0) + tail
    return nlwire.message(nlwire.NLMSG_ERROR, flags, seq, body)


def names(bodies: list[bytes]) -> list[str]:
    return [rtnl.link_of(body).name for body in bodies]


def test_a_dump_is_read_across_datagrams_and_only_its_own_replies() -> None:
    kernel = ScriptedKernel(
        lambda seq: [
            (link(seq - 1, "stale"), 0, 0),  # an earlier request's
            (link(seq, "eth0") + link(seq, "eth1"), 0, 0),
            (link(seq, "forged"), 0, 4242),  # not the kernel's
            (link(seq, "eth2") + done(seq), 0, 0),
        ]
    )
    with netlink.Netlink(netlink.NETLINK_ROUTE, kernel) as nl:
        assert names(nl.dump(rtnl.RTM_GETLINK, rtnl.ifinfo())) == ["eth0", "eth1", "eth2"]
    (request,) = kernel.requests
    assert request.flags == nlwire.NLM_F_REQUEST | nlwire.NLM_F_DUMP
    assert kernel.closed and kernel.queued == []


def test_a_dump_the_kernel_marks_interrupted_is_read_again() -> None:
    interrupted = nlwire.NLM_F_MULTI | nlwire.NLM_F_DUMP_INTR
    kernel = ScriptedKernel(
        lambda seq: (
            [(link(seq, "old", interrupted) + done(seq), 0, 0)]
            if seq == 1
            else [(link(seq, "new") + done(seq), 0, 0)]
        )
    )
    assert names(netlink.Netlink(0, kernel).dump(rtnl.RTM_GETLINK, b"")) == ["new"]
    always = ScriptedKernel(lambda seq: [(link(seq, "x", interrupted) + done(seq), 0, 0)])
    with pytest.raises(netlink.NetlinkError) as raised:
        netlink.Netlink(0, always).dump(rtnl.RTM_GETLINK, b"")
    assert raised.value.code == errno.EAGAIN and len(always.requests) == netlink.DUMP_ATTEMPTS


def test_a_dump_that_fails_raises_the_kernels_errno() -> None:
    ended = ScriptedKernel(lambda seq: [(link(seq, "eth0") + done(seq, errno.EINVAL), 0, 0)])
    with pytest.raises(netlink.NetlinkError) as raised:
        netlink.Netlink(0, ended).dump(rtnl.RTM_GETLINK, b"")
    assert raised.value.code == errno.EINVAL
    refused = ScriptedKernel(lambda seq: [(ack(seq, errno.EPERM), 0, 0)])
    with pytest.raises(netlink.NetlinkError) as raised:
        netlink.Netlink(0, refused).dump(rtnl.RTM_GETLINK, b"")
    assert raised.value.code == errno.EPERM


def test_a_datagram_larger_than_the_buffer_is_an_error_not_half_a_reply() -> None:
    kernel = ScriptedKernel(lambda seq: [(link(seq, "eth0"), socket.MSG_TRUNC, 0)])
    with pytest.raises(netlink.NetlinkError) as raised:
        netlink.Netlink(0, kernel).dump(rtnl.RTM_GETLINK, b"")
    assert raised.value.code == errno.EMSGSIZE


def test_a_request_waits_for_its_own_ack_and_raises_a_refusal() -> None:
    kernel = ScriptedKernel(lambda seq: [(ack(seq - 1, errno.EEXIST), 0, 0), (ack(seq), 0, 0)])
    nl = netlink.Netlink(0, kernel)
    nl.request(rtnl.RTM_NEWLINK, rtnl.CREATE, rtnl.new_bridge("br0"))
    assert kernel.requests[0].flags == 0x1 | 0x4 | 0x400 | 0x200  # REQUEST ACK CREATE EXCL
    assert kernel.queued == []
    kernel.script = lambda seq: [(ack(seq, errno.EEXIST, "name taken"), 0, 0)]
    with pytest.raises(netlink.NetlinkError, match="File exists: name taken") as raised:
        nl.request(rtnl.RTM_NEWLINK, rtnl.CREATE, rtnl.new_bridge("br0"))
    assert raised.value.code == errno.EEXIST
    assert [r.seq for r in kernel.requests] == [1, 2]
