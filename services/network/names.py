"""The embedded DNS's name table: which names each network answers, with which addresses.

A container on a user network is known there by its name, its hostname, its short ID and its
aliases. An endpoint's links (`--link name:alias` on a user network) are names for it alone:
its container asking for `alias` gets what `name` is on that network, before anything else
called `alias` there (libnetwork's per-endpoint aliases). Entries are added and removed with endpoints (a change costs what the endpoint's
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
        # container id → network id → alias → name (its endpoint's links)
        self._links: dict[str, dict[str, dict[str, str]]] = {}

    def add(self, container_id: str, network_id: str, names: set[str], address: str) -> None:
        self.remove(container_id, network_id)
        keys = frozenset(n.lower() for n in names if n)
        table = self._names.setdefault(network_id, {})
        for key in keys:
            table[key] = {**table.get(key, {}), container_id: address}
        self._members[container_id] = {**self._members.get(container_id, {}), network_id: keys}

    def link(self, container_id: str, network_id: str, links: list[str]) -> None:
        """The endpoint's links ("name[:alias]"), answered for `container_id` only."""
        networks = {k: v for k, v in self._links.get(container_id, {}).items() if k != network_id}
        if links:
            networks[network_id] = dict(_alias_and_name(link) for link in links)
        if networks:
            self._links[container_id] = networks
        else:
            self._links.pop(container_id, None)

    def remove(self, container_id: str, network_id: str) -> None:
        self.link(container_id, network_id, [])
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
        links = self._links.get(container_id, {})
        for network_id, aliases in links.items():
            target = self._names.get(network_id, {}).get(aliases.get(key, ""), {})
            if target:
                return sorted(set(target.values()))
        found = {
            address
            for network_id in self._members.get(container_id, {})
            if key not in links.get(network_id, {})
            for address in self._names.get(network_id, {}).get(key, {}).values()
        }
        return sorted(found) or None

    def clear(self) -> None:
        self._names, self._members, self._links = {}, {}, {}


def _alias_and_name(link: str) -> tuple[str, str]:
    """(alias, name) of "name[:alias]" (or of "/name:/parent/alias"), as docker's ParseLink."""
    name, _, alias = link.partition(":")
    return (alias or name).rsplit("/", 1)[-1].lower(), name.removeprefix("/").lower()
