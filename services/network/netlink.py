"""A netlink socket of the calling thread's network namespace: a request and its
acknowledgement, or a dump read to its end (netlink(7)). Standard library only.

The network service once used pyroute2 here; its IPRoute and NFTables pulled ~220 modules
(unittest.mock among them) and ~10 MiB into the service for the dozen messages rtnl.py and
nfnl.py make, so these few are made by hand (docs/performance.md, "The engine's idle memory").

    with Netlink(NETLINK_ROUTE) as nl:
        nl.request(kind, flags, body)   # NLM_F_ACK; the kernel's refusal raises NetlinkError
        nl.dump(kind, body)             # NLM_F_DUMP: every reply message's body, to NLMSG_DONE

A socket belongs to the namespace of the thread that opens it, so a thread that has joined a
container's namespace opens its own (links.in_netns). Replies are matched to the request by
sequence number and must come from the kernel (sender port id 0); anything else is skipped. A dump the
kernel marks inconsistent (the table changed while it was read) is read again.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Protocol

from dockyard.services.network import nlwire
from dockyard.services.network.nlwire import Message

NETLINK_ROUTE = 0
NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_CAP_ACK, NETLINK_EXT_ACK = 10, 11
RECEIVE = 1 << 16  # a dump's datagrams are at most 32 KiB
DUMP_ATTEMPTS = 5


class NetlinkError(OSError):
    """The kernel refused a request; `code` is its errno, as pyroute2's NetlinkError had."""

    @property
    def code(self) -> int:
        return self.errno or 0


class Transport(Protocol):
    """What Netlink uses of its socket (unit tests hand it a scripted kernel)."""

    def sendto(self, data: bytes, address: tuple[int, int], /) -> int: ...
    def recvmsg(self, size: int, /) -> tuple[bytes, list[Any], int, Any]: ...
    def close(self) -> None: ...


class Netlink:
    def __init__(self, protocol: int, transport: Transport | None = None) -> None:
        self._sock = transport or _open(protocol)
        self._seq = 0

    def __enter__(self) -> Netlink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def request(self, kind: int, flags: int, body: bytes) -> None:
        """Send one request and wait for its acknowledgement."""
        seq = self._send(kind, nlwire.NLM_F_REQUEST | nlwire.NLM_F_ACK | flags, body)
        for reply in self._replies(seq):
            if reply.kind == nlwire.NLMSG_ERROR:
                _raise_if_error(reply)
                return

    def dump(self, kind: int, body: bytes) -> list[bytes]:
        """The bodies of every message a dump request gets back."""
        for _ in range(DUMP_ATTEMPTS):
            bodies, consistent = self._dump_once(kind, body)
            if consistent:
                return bodies
        raise NetlinkError(errno.EAGAIN, f"netlink dump {kind} kept changing while read")

    def _dump_once(self, kind: int, body: bytes) -> tuple[list[bytes], bool]:
        seq = self._send(kind, nlwire.NLM_F_REQUEST | nlwire.NLM_F_DUMP, body)
        bodies: list[bytes] = []
        consistent = True
        for reply in self._replies(seq):
            consistent = consistent and not reply.flags & nlwire.NLM_F_DUMP_INTR
            if reply.kind in (nlwire.NLMSG_ERROR, nlwire.NLMSG_DONE):
                _raise_if_error(reply)  # NLMSG_DONE carries the dump's own error, if any
                return bodies, consistent
            if reply.kind != nlwire.NLMSG_NOOP:
                bodies.append(reply.body)
        raise AssertionError("unreachable: _replies ends only by raising")

    def _send(self, kind: int, flags: int, body: bytes) -> int:
        self._seq += 1
        self._sock.sendto(nlwire.message(kind, flags, self._seq, body), (0, 0))
        return self._seq

    def _replies(self, seq: int) -> Iterator[Message]:
        """The kernel's messages answering request `seq`, datagram after datagram."""
        while True:
            data, _, flags, (port, _groups) = self._sock.recvmsg(RECEIVE)
            if flags & socket.MSG_TRUNC:
                raise NetlinkError(errno.EMSGSIZE, "netlink reply larger than the buffer")
            if port != 0:
                continue  # not the kernel
            for reply in nlwire.messages(data):
                if reply.seq == seq:
                    yield reply


def _open(protocol: int) -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)
    try:
        sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)  # acks without our request
        sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)  # errors with the kernel's words
        sock.bind((0, 0))
    except BaseException:
        sock.close()
        raise
    return sock


def _raise_if_error(reply: Message) -> None:
    if len(reply.body) < nlwire.ERRNO.size:
        return  # an NLMSG_DONE of an old kernel: no error field
    code, text = nlwire.error_of(reply)
    if code:
        raise NetlinkError(code, f"{os.strerror(code)}: {text}" if text else os.strerror(code))
