"""The embedded DNS servers of the live sandboxes: one dns.Resolver per sandbox that has an
endpoint on a user network, answered from the name table, on this process's event loop.

`sync` after every change of a sandbox (and for each one at start-up: the sockets of a
previous process died with it) opens or closes its server; `drop` when it goes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from dockyard.services.network import dns
from dockyard.services.network.etcfiles import nameservers, read
from dockyard.services.network.names import NameTable

log = logging.getLogger(__name__)


class Resolvers:
    def __init__(self, names: NameTable, daemon_dns: list[str]) -> None:
        self._names = names
        self._daemon_dns = daemon_dns
        self._running: dict[str, dns.Resolver] = {}

    async def sync(
        self, container_id: str, netns: str, wanted: bool, dns_servers: list[str]
    ) -> None:
        """Serve `container_id`'s namespace when `wanted`, else not (`dns_servers`: its --dns)."""
        have = self._running.get(container_id)
        if wanted and netns and have is None:
            resolver = dns.Resolver(
                lambda name: self._names.lookup(container_id, name),
                self._upstreams(list(dns_servers)),
            )
            try:
                await resolver.start(Path(netns))
            except OSError as err:
                log.warning("no DNS for container %s: %s", container_id[:12], err)
                return
            self._running[container_id] = resolver
        elif not wanted and have is not None:
            self.drop(container_id)

    def drop(self, container_id: str) -> None:
        resolver = self._running.pop(container_id, None)
        if resolver is not None:
            resolver.close()

    def close(self) -> None:
        for container_id in list(self._running):
            self.drop(container_id)

    def _upstreams(self, servers: list[str]) -> Callable[[], list[str]]:
        """Where other names are asked: --dns, else the daemon's dns, else the host's."""
        return lambda: servers or list(self._daemon_dns) or nameservers(read("/etc/resolv.conf"))
