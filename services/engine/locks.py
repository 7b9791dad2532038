"""One lock per container, serialising its state changes (start, exit, stop, remove, update).

Waiting for an exit never holds it: the exit handler takes it to record the exit.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Locks:
    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __call__(self, container_id: str) -> asyncio.Lock:
        """The lock of `container_id` (made on first use)."""
        return self._locks[container_id]

    def forget(self, container_id: str) -> None:
        """Drop the lock of a removed container."""
        self._locks.pop(container_id, None)
