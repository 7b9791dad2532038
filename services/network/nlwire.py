"""Netlink's wire format: message headers, attributes (nested too), and the kernel's replies
taken apart. Pure: bytes in, bytes out; the socket is netlink.py's.

A message is a `struct nlmsghdr` (length, type, flags, sequence number, port id) followed by a
family header (`struct ifinfomsg`, `ifaddrmsg`, `rtmsg`, `nfgenmsg`: rtnl.py and nfnl.py) and
attributes. An attribute is a `struct nlattr` (length, type) and its value; a nested one's value
is attributes again. Messages and attributes start on 4-byte boundaries (NLMSG_ALIGN,
NLA_ALIGN). An error or acknowledgement is an NLMSG_ERROR message: a negative errno (0 for an
ack) and the request's header, then, when the socket asked for extended acks
(NETLINK_EXT_ACK), attributes of which NLMSGERR_ATTR_MSG is the kernel's own words.
Constants from netlink(7), rtnetlink(7) and linux/netlink.h.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: len, type, flags, seq, pid
ATTR = struct.Struct("=HH")  # struct nlattr: nla_len, nla_type
U32 = struct.Struct("=I")
ERRNO = struct.Struct("=i")  # struct nlmsgerr's error, before the request's header

NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN = 1, 2, 3, 4
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP_INTR = 0x10  # a dump's messages: what it listed changed meanwhile
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200  # an error's flags: request cut, attributes follow
NLMSGERR_ATTR_MSG = 1
NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER

# an attribute's value: raw bytes, a string (sent NUL-terminated), a u32, or nested attributes
Value = bytes | str | int | Sequence[tuple[int, "Value"]]


@dataclass(frozen=True)
class Message:
    kind: int  # nlmsg_type
    flags: int
    seq: int
    port: int  # the requester's port id, in the kernel's replies
    body: bytes  # what follows the header


def align(length: int) -> int:
    return (length + 3) & ~3


def message(kind: int, flags: int, seq: int, body: bytes) -> bytes:
    """One message to send (port id 0: the kernel fills in ours)."""
    return HEADER.pack(HEADER.size + len(body), kind, flags, seq, 0) + body


def attrs(*pairs: tuple[int, Value]) -> bytes:
    """Attributes, each padded to 4 bytes."""
    return b"".join(_attr(kind, value) for kind, value in pairs)


def _attr(kind: int, value: Value) -> bytes:
    data = _value(value)
    length = ATTR.size + len(data)
    return ATTR.pack(length, kind) + data + bytes(align(length) - length)


def _value(value: Value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode() + b"\0"
    if isinstance(value, int):
        return U32.pack(value)
    return attrs(*value)


def messages(data: bytes) -> Iterator[Message]:
    """The messages of one datagram the kernel sent."""
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind, flags, seq, port = HEADER.unpack_from(data, offset)
        if length < HEADER.size or offset + length > len(data):
            raise ValueError(f"malformed netlink message (length {length} at {offset})")
        yield Message(kind, flags, seq, port, data[offset + HEADER.size : offset + length])
        offset += align(length)


def parse_attrs(data: bytes, offset: int = 0) -> dict[int, bytes]:
    """Attribute type → value, of the attributes from `offset` on (the last of a type wins)."""
    found: dict[int, bytes] = {}
    while offset + ATTR.size <= len(data):
        length, kind = ATTR.unpack_from(data, offset)
        if length < ATTR.size or offset + length > len(data):
            raise ValueError(f"malformed netlink attribute (length {length} at {offset})")
        found[kind & NLA_TYPE_MASK] = data[offset + ATTR.size : offset + length]
        offset += align(length)
    return found


def error_of(reply: Message) -> tuple[int, str]:
    """An NLMSG_ERROR's errno (positive; 0 for an ack) and the kernel's message, if it gave one."""
    code = -ERRNO.unpack_from(reply.body)[0]
    if not reply.flags & NLM_F_ACK_TLVS:
        return code, ""
    start = ERRNO.size + HEADER.size  # the request's header, and its body unless capped
    if not reply.flags & NLM_F_CAPPED:
        start = ERRNO.size + align(HEADER.unpack_from(reply.body, ERRNO.size)[0])
    text = parse_attrs(reply.body, start).get(NLMSGERR_ATTR_MSG, b"")
    return code, string(text)


def string(value: bytes) -> str:
    return value.split(b"\0", 1)[0].decode(errors="replace")


def u32(value: bytes) -> int:
    return int(U32.unpack_from(value)[0])
