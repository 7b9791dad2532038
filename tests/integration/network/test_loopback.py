"""Nothing of the host's loopback is reachable from a container (the CVE-2020-8558 class).

The bridge has route_localnet (a port published on 127.0.0.1 is DNATed out of loopback onto
it), so without a guard the kernel would take a packet for 127.0.0.1 arriving from a container
as the host's own. A container's root forges one (CAP_NET_RAW) and the host's loopback-only
services must never see it; a port published on 127.0.0.1 keeps working.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import probe
from tests.integration.network.conftest import http_get, web
from tests.support.engine import Engine
from tests.support.registry import free_port

pytestmark = pytest.mark.integration


def wire_of(engine: Engine, container: str) -> probe.Wire:
    doc = json.loads(engine.ok("inspect", container))[0]
    endpoint = doc["NetworkSettings"]["Networks"]["bridge"]
    bridge = json.loads(engine.config.read_text())["bridge"]
    return probe.Wire(
        netns=Path(f"/proc/{doc['State']['Pid']}/ns/net"),
        mac=endpoint["MacAddress"],
        address=endpoint["IPAddress"],
        gateway=endpoint["Gateway"],
        gateway_mac=Path(f"/sys/class/net/{bridge}/address").read_text().strip(),
    )


@pytest.fixture
def listeners() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """A UDP and a TCP service on 127.0.0.1 only, and a UDP service on every address."""
    loop_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    loop_tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    any_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        loop_udp.bind(("127.0.0.1", 0))
        loop_tcp.bind(("127.0.0.1", 0))
        loop_tcp.listen()
        any_udp.bind(("0.0.0.0", 0))
        for sock in (loop_udp, any_udp):
            sock.settimeout(2)
        yield loop_udp, loop_tcp, any_udp
    finally:
        for sock in (loop_udp, loop_tcp, any_udp):
            sock.close()


def received(sock: socket.socket) -> bytes:
    try:
        return sock.recv(100)
    except TimeoutError:
        return b""


def test_forged_packets_for_127_0_0_1_never_reach_the_host(
    engine: Engine, busybox: str, listeners: tuple[socket.socket, socket.socket, socket.socket]
) -> None:
    loop_udp, loop_tcp, any_udp = listeners
    engine.ok("run", "-d", "--name", "forger", busybox, "sleep", "60")
    wire = wire_of(engine, "forger")
    # the probe works: to the gateway's address, a host service on every address hears it
    probe.udp(wire, wire.gateway, any_udp.getsockname()[1], b"to the gateway")
    assert received(any_udp) == b"to the gateway"
    # the same packet for 127.0.0.1 must die on the way
    probe.udp(wire, "127.0.0.1", loop_udp.getsockname()[1], b"to loopback")
    assert received(loop_udp) == b""
    assert not probe.tcp_syn_answered(wire, "127.0.0.1", loop_tcp.getsockname()[1])


def test_a_port_published_on_loopback_still_answers(engine: Engine, busybox: str) -> None:
    port = free_port()
    engine.ok("run", "-d", "-p", f"127.0.0.1:{port}:80", busybox, *web("local"))
    assert http_get(f"http://127.0.0.1:{port}/") == "local\n"
