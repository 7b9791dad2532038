from __future__ import annotations

import socket
import struct

from dockyard.services.network import dns


def query(name: str, qtype: int = 1, ident: int = 0x1234) -> bytes:
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return header + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def test_parse_a_question() -> None:
    packet = query("Web.Example")
    assert dns.parse_question(packet) == (0x1234, 0x0100, "web.example", 1, len(packet))


def test_malformed_packets_are_ignored() -> None:
    assert dns.parse_question(b"\x00" * 5) is None
    assert dns.parse_question(query("web")[:-3]) is None
    response = bytearray(query("web"))
    response[2] |= 0x80
    assert dns.parse_question(bytes(response)) is None


def test_answer_carries_the_addresses() -> None:
    packet = query("api")
    _, _, _, qtype, end = dns.parse_question(packet)  # type: ignore[misc]
    reply = dns.answer(packet, end, qtype, ["10.9.0.2", "10.9.0.3"])
    ident, flags, qd, an = struct.unpack("!HHHH", reply[:8])
    assert ident == 0x1234 and flags & 0x8000 and flags & 0x000F == 0
    assert (qd, an) == (1, 2)
    assert reply.endswith(socket.inet_aton("10.9.0.3"))


def test_other_types_for_a_known_name_get_an_empty_answer() -> None:
    packet = query("api", qtype=28)
    _, _, _, qtype, end = dns.parse_question(packet)  # type: ignore[misc]
    reply = dns.answer(packet, end, qtype, ["10.9.0.2"])
    assert struct.unpack("!H", reply[6:8])[0] == 0
    assert len(reply) == end
