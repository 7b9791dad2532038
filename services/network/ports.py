"""Published ports: checked, held, recorded and released.

Each published host port is held by a socket bound (not listening) in this process, so that
nothing else on the host can take it while the container has it, and so that the kernel
itself refuses a clash (0.0.0.0:P against 127.0.0.1:P included) with docker's words; a host
port 0 is the kernel's choice of a free one. The record follows the socket; the DNAT rule
(nat.py) follows the record. After a restart the sockets are taken again from the records; a
port someone else took meanwhile is logged, not fatal: its rule still forwards.
"""

from __future__ import annotations

import errno
import logging
import socket

from dockyard.api.errors import AlreadyExists, InvalidArgument
from dockyard.services.network import ipam
from dockyard.services.network.store import Port, Store

log = logging.getLogger(__name__)


def check(ports: list[Port]) -> None:
    """Refuse what cannot be published at all (clashes are the kernel's to find, at bind)."""
    for port in ports:
        if port.protocol not in ("tcp", "udp"):
            raise InvalidArgument(f"invalid protocol {port.protocol!r} (tcp or udp)")
        if port.host_ip:
            ipam.parse_address(port.host_ip, "host IP")
        if not 0 < port.container_port < 65536 or not 0 <= port.host_port < 65536:
            raise InvalidArgument(f"invalid port {port.container_port}")


class Ports:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._held: dict[tuple[str, str, int], socket.socket] = {}

    def close(self) -> None:
        for sock in self._held.values():
            sock.close()
        self._held.clear()

    def publish(self, container_id: str, port: Port) -> Port:
        """Hold and record `port` for `container_id`; the port as published (host port set)."""
        host_port = self._hold(port.protocol, port.host_ip, port.host_port)
        published = Port(container_id, port.protocol, port.host_ip, host_port, port.container_port)
        if not self._store.add_port(published):
            self._release(published)
            raise _taken(port.host_ip, host_port)
        return published

    def unpublish(self, port: Port) -> None:
        self._store.delete_port(port)
        self._release(port)

    def restore(self) -> None:
        """Hold every recorded port again (start-up)."""
        for port in self._store.ports():
            if (port.protocol, port.host_ip, port.host_port) in self._held:
                continue
            try:
                self._hold(port.protocol, port.host_ip, port.host_port)
            except (AlreadyExists, InvalidArgument) as err:
                log.warning("port of container %s not held again: %s", port.container_id[:12], err)

    def _hold(self, protocol: str, host_ip: str, host_port: int) -> int:
        kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((host_ip or "0.0.0.0", host_port))
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise _taken(host_ip, host_port) from None
            raise InvalidArgument(
                f"cannot publish {host_ip or '0.0.0.0'}:{host_port}: {err.strerror}"
            ) from None
        chosen = int(sock.getsockname()[1])
        self._held[(protocol, host_ip, chosen)] = sock
        return chosen

    def _release(self, port: Port) -> None:
        sock = self._held.pop((port.protocol, port.host_ip, port.host_port), None)
        if sock is not None:
            sock.close()


def _taken(host_ip: str, host_port: int) -> AlreadyExists:
    return AlreadyExists(
        f"Bind for {host_ip or '0.0.0.0'}:{host_port} failed: port is already allocated"
    )
