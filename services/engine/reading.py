"""What reads containers without changing them: `ps` (filters, limit), inspect, their sizes
(when asked for), and logs.

`ps -a` lists every container, and parsing each record (JSON to dataclasses) was most of its
cost, growing with their number. So the reader keeps each container it listed, with the
record it was parsed from, and parses again only the records that changed since: the
containers `list` returns are shared between calls and must not be changed (the servicer
keeps their messages the same way).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path

from dockyard.api import errors
from dockyard.services.engine import filters, logdetails, logs
from dockyard.services.engine.model import Container
from dockyard.services.engine.sizes import Size, Sizes
from dockyard.services.engine.store import ContainerStore, Records, load


class Reader:
    def __init__(self, store: ContainerStore, sizes: Sizes) -> None:
        self._store = store
        self._sizes = sizes
        self._seen: dict[str, tuple[str, Container]] = {}  # ID: (record, container) last listed

    def link_names(self) -> dict[str, list[str]]:
        """Each linked container's names as links ("/parent/alias"), by its name."""
        return self._store.link_names()

    def list(self, all_: bool, wanted: list[str], limit: int) -> list[Container]:
        """Containers matching `wanted` filters, newest first: running ones unless `all_`.
        They are shared with the next calls: read them, never change them."""
        match = filters.matcher(filters.parse(wanted), lambda _: set(), self._store.get)
        found = []
        for container in self._parsed(self._store.records(running_only=not all_), all_):
            if match(container):
                found.append(container)
                if len(found) == limit:
                    break
        return found

    def _parsed(self, records: Records, every: bool) -> Iterator[Container]:
        """Each record's container, parsed only if the record changed since it was last seen
        (lazily: a listing that stops early parses no more). Only a listing of `every`
        container keeps what it parsed, and forgets those no longer there: what is kept is
        never more than the containers of the last `ps -a`."""
        if every:
            there = {container_id for container_id, _ in records}
            for gone in self._seen.keys() - there:
                del self._seen[gone]
        for container_id, text in records:
            seen = self._seen.get(container_id)
            if seen is None or seen[0] != text:
                seen = (text, load(text))
                if every:
                    self._seen[container_id] = seen
            yield seen[1]

    def inspect(self, ref: str) -> Container:
        return self._store.get(ref)

    async def sizes(self, containers: Sequence[Container]) -> dict[str, Size]:
        """`ps -s`, `inspect -s`: each one's writable layer and root file system, by ID."""
        return await self._sizes.measure(containers)

    async def logs(
        self, ref: str, query: logs.Query, follow: bool, details: bool = False
    ) -> AsyncIterator[logs.Entry]:
        """The container's json-file log; with `follow`, until the container stops; with
        `details`, each line after its attributes (logdetails.py)."""
        container = self._store.get(ref)
        path = Path(container.log_path)
        if container.host_config.log_config.type == "none":
            raise errors.FailedPrecondition("configured logging driver does not support reading")
        if follow:
            entries = logs.follow(path, query, lambda: not self._running(container.id))
        else:
            entries = _each(logs.read(path, query))
        before = logdetails.prefix(container, container.config.image) if details else b""
        async for entry in entries:
            yield dataclasses.replace(entry, data=before + entry.data) if before else entry

    def _running(self, container_id: str) -> bool:
        try:
            return self._store.get(container_id).running
        except errors.NotFound:
            return False


def parse_tail(text: str) -> int | None:
    """`--tail`: "all" (or "", a negative number, or what is no number at all, as dockerd reads
    it) is None; else the number of lines."""
    tail = text.strip()
    if not tail.lstrip("-").isdigit():
        return None
    return None if int(tail) < 0 else int(tail)


async def _each(entries: Iterable[logs.Entry]) -> AsyncIterator[logs.Entry]:
    for entry in entries:
        yield entry
