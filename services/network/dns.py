"""The embedded DNS server: 127.0.0.11:53 inside each container on a user-defined network.

A UDP socket is opened inside the container's namespace (by a thread that joined it) and
served from this process's event loop: no process and no rule per container. Names of the
containers on the same networks (names, aliases, hostnames) are answered from the service's
records; anything else is forwarded, from the host's namespace, to the host's resolvers (or
the container's `--dns` servers) and the answer relayed. UDP only, A records answered (AAAA
and others for a known name get an empty answer, as docker's does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable
from pathlib import Path

from dockyard.services.network import links

log = logging.getLogger(__name__)

ADDRESS = "127.0.0.11"
TTL = 600
FORWARD_SECONDS = 2.0
QTYPE_A = 1
FLAG_RESPONSE = 0x8000
FLAG_RD = 0x0100
FLAG_RA = 0x0080
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3

# name (lower case, no trailing dot) → addresses, or None when the name is not a container's
Lookup = Callable[[str], list[str] | None]


def parse_question(packet: bytes) -> tuple[int, int, str, int, int] | None:
    """(id, flags, name, qtype, end of question) of a one-question query, or None."""
    if len(packet) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if flags & FLAG_RESPONSE or qdcount != 1:
        return None
    labels, offset = [], 12
    while True:
        if offset >= len(packet):
            return None
        length = packet[offset]
        offset += 1
        if length == 0:
            break
        if length & 0xC0 or offset + length > len(packet):
            return None
        labels.append(packet[offset : offset + length].decode("ascii", "replace"))
        offset += length
    if offset + 4 > len(packet):
        return None
    qtype, _ = struct.unpack("!HH", packet[offset : offset + 4])
    return ident, flags, ".".join(labels).lower(), qtype, offset + 4


def answer(packet: bytes, question_end: int, qtype: int, addresses: list[str]) -> bytes:
    """The response to `packet`: A records for `addresses` when asked for A."""
    ident, flags = struct.unpack("!HH", packet[:4])
    records = b""
    if qtype == QTYPE_A:
        for address in addresses:
            records += struct.pack("!HHHIH", 0xC00C, QTYPE_A, 1, TTL, 4)
            records += socket.inet_aton(address)
    count = len(addresses) if qtype == QTYPE_A else 0
    header = struct.pack(
        "!HHHHHH", ident, FLAG_RESPONSE | (flags & FLAG_RD) | FLAG_RA | 0x0400, 1, count, 0, 0
    )
    return header + packet[12:question_end] + records


def error(packet: bytes, question_end: int, rcode: int) -> bytes:
    ident, flags = struct.unpack("!HH", packet[:4])
    header = struct.pack(
        "!HHHHHH", ident, FLAG_RESPONSE | (flags & FLAG_RD) | FLAG_RA | rcode, 1, 0, 0, 0
    )
    return header + packet[12:question_end]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: Resolver) -> None:
        self._server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._server.received(self, data, addr)


class Resolver:
    """One container's DNS endpoint: a socket in its namespace, answered here."""

    def __init__(self, lookup: Lookup, upstreams: Callable[[], list[str]]) -> None:
        self._lookup = lookup
        self._upstreams = upstreams
        self._protocol: _Protocol | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, netns: Path) -> None:
        sock = await asyncio.to_thread(links.in_netns, netns, _bind)
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._protocol = protocol

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        for task in self._tasks:
            task.cancel()

    def received(self, protocol: _Protocol, data: bytes, addr: tuple[str, int]) -> None:
        question = parse_question(data)
        if question is None or protocol.transport is None:
            return
        _, _, name, qtype, end = question
        addresses = self._lookup(name)
        if addresses is not None:
            protocol.transport.sendto(answer(data, end, qtype, addresses), addr)
            return
        task = asyncio.get_running_loop().create_task(self._forward(protocol, data, end, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forward(
        self, protocol: _Protocol, data: bytes, end: int, addr: tuple[str, int]
    ) -> None:
        reply = None
        for server in self._upstreams():
            with contextlib.suppress(OSError, TimeoutError):
                reply = await asyncio.wait_for(_ask(server, data), FORWARD_SECONDS)
                break
        if protocol.transport is not None:
            protocol.transport.sendto(reply or error(data, end, RCODE_SERVFAIL), addr)


def _bind() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((ADDRESS, 53))
    sock.setblocking(False)
    return sock


async def _ask(server: str, data: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, (server, 53))
        await loop.sock_sendall(sock, data)
        while True:
            reply = await loop.sock_recv(sock, 4096)
            if reply[:2] == data[:2]:
                return reply
