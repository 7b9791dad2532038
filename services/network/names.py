"""The embedded DNS's name table: which names each network answers, with which addresses.

A container on a user network is known there by its name, its hostname, its short ID and its
aliases. Entries are added and removed with endpoints (a change costs what the endpoint's
names cost, however many containers exist) and the whole table is rebuilt at start-up.
It lives in memory and is read by the DNS on the event loop while changes are made in a
worker thread: each change replaces whole dictionary entries, which readers see before or
after, never half made.
"""

from __future__ import annotations


class NameTable:
    def __init__(self) -> None:
        # network id → name → container id → address
        self._names: dict[str, dict[str, dict[str, str]]] = {}
        # container id → network id → the names it is known by there
        self._members: dict[str, dict[str, frozenset[str]]] = {}

    def add(self, container_id: str, network_id: str, names: set[str], address: str) -> None:
        self.remove(container_id, network_id)
        keys = frozenset(n.lower() for n in names if n)
        table = self._names.setdefault(network_id, {})
        for key in keys:
            table[key] = {**table.get(key, {}), container_id: address}
        self._members[container_id] = {**self._members.get(container_id, {}), network_id: keys}

    def remove(self, container_id: str, network_id: str) -> None:
        networks = dict(self._members.get(container_id, {}))
        keys = networks.pop(network_id, frozenset())
        table = self._names.get(network_id, {})
        for key in keys:
            left = {c: a for c, a in table.get(key, {}).items() if c != container_id}
            if left:
                table[key] = left
            else:
                table.pop(key, None)
        if networks:
            self._members[container_id] = networks
        else:
            self._members.pop(container_id, None)

    def lookup(self, container_id: str, name: str) -> list[str] | None:
        """Addresses of `name` on the networks of `container_id` (None: not a container's)."""
        key = name.lower().rstrip(".")
        found = {
            address
            for network_id in self._members.get(container_id, {})
            for address in self._names.get(network_id, {}).get(key, {}).values()
        }
        return sorted(found) or None

    def clear(self) -> None:
        self._names, self._members = {}, {}
