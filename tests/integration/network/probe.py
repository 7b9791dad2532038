"""Hand-made packets sent from inside a container's network namespace, as its root could.

A default container has CAP_NET_RAW: it may write any Ethernet frame onto its eth0, such as an
IPv4 packet for 127.0.0.1 addressed to the gateway's MAC (the host's end of the bridge). The
test process does the same from a thread that joined the container's namespace (setns(2)), which
is exactly what the container's root can do, without needing a raw-socket tool in the image.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

CLONE_NEWNET = 0x40000000
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_ALL = 0x0003
T = TypeVar("T")


@dataclass(frozen=True)
class Wire:
    """Where a container's frames start and go: its eth0 and the gateway's MAC."""

    netns: Path  # /proc/<pid>/ns/net of the container
    mac: str  # the container's eth0
    address: str  # the container's eth0 address
    gateway: str  # the bridge's address
    gateway_mac: str  # the bridge's MAC: frames for the host go there


def in_netns(netns: Path, work: Callable[[], T]) -> T:
    """`work`'s result, computed by a fresh thread that joined `netns` (and ends there)."""
    libc = ctypes.CDLL(None, use_errno=True)
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {netns}")
            finally:
                os.close(fd)
            result.append(work())
        except BaseException as err:  # noqa: BLE001 - handed to the calling thread
            failure.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def udp(wire: Wire, destination: str, port: int, payload: bytes) -> None:
    """One UDP datagram from the container's address to `destination`, through the gateway."""
    segment = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    _send(wire, _ipv4(wire.address, destination, socket.IPPROTO_UDP, segment))


def tcp_syn_answered(wire: Wire, destination: str, port: int, seconds: float = 2.0) -> bool:
    """Whether a SYN from the container to `destination`:`port` draws a SYN-ACK back.

    An ARP request for the gateway goes first: the host learns the container's MAC from it,
    as from any container that has talked to its gateway (the host's own ARP for an answer
    sent from 127.0.0.1 would be ignored by the container's kernel)."""
    source_port = 40001

    def work() -> bool:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as sock:
            sock.bind(("eth0", 0))
            sock.send(_arp_request(wire))
            sock.settimeout(0.2)
            header = struct.pack("!HHIIBBHHH", source_port, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
            checksum = _checksum(_pseudo(wire.address, destination, len(header)) + header)
            segment = header[:16] + struct.pack("!H", checksum) + header[18:]
            sock.send(_frame(wire, _ipv4(wire.address, destination, socket.IPPROTO_TCP, segment)))
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    frame = sock.recv(2048)
                except TimeoutError:
                    continue
                if _is_syn_ack(frame, destination, port, source_port):
                    return True
            return False

    return in_netns(wire.netns, work)


def _is_syn_ack(frame: bytes, source: str, port: int, to_port: int) -> bool:
    if len(frame) < 54 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        return False
    ip = frame[14:]
    if ip[9] != socket.IPPROTO_TCP or socket.inet_ntoa(ip[12:16]) != source:
        return False
    tcp = ip[(ip[0] & 0x0F) * 4 :]
    ports = struct.unpack("!HH", tcp[:4])
    return ports == (port, to_port) and tcp[13] & 0x12 == 0x12


def _send(wire: Wire, packet: bytes) -> None:
    def work() -> None:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP)) as sock:
            sock.bind(("eth0", 0))
            sock.send(_frame(wire, packet))

    in_netns(wire.netns, work)


def _arp_request(wire: Wire) -> bytes:
    """Who has the gateway's address? Tell the container's."""
    body = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 1)
    body += _mac(wire.mac) + socket.inet_aton(wire.address)
    body += b"\0" * 6 + socket.inet_aton(wire.gateway)
    return b"\xff" * 6 + _mac(wire.mac) + struct.pack("!H", ETH_P_ARP) + body


def _frame(wire: Wire, packet: bytes) -> bytes:
    return _mac(wire.gateway_mac) + _mac(wire.mac) + struct.pack("!H", ETH_P_IP) + packet


def _ipv4(source: str, destination: str, protocol: int, payload: bytes) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(payload),
        os.getpid() & 0xFFFF,
        0,
        64,
        protocol,
        0,
        socket.inet_aton(source),
        socket.inet_aton(destination),
    )
    checksum = _checksum(header)
    return header[:10] + struct.pack("!H", checksum) + header[12:] + payload


def _pseudo(source: str, destination: str, length: int) -> bytes:
    return (
        socket.inet_aton(source)
        + socket.inet_aton(destination)
        + struct.pack("!BBH", 0, socket.IPPROTO_TCP, length)
    )


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))
