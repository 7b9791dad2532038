"""Who is waiting for a container to exit or to be removed, and waking them.

`docker wait` conditions: "not-running" (now if it is not running, else its next exit),
"next-exit" (the next exit, even if it is not running now) and "removed". A waiter is
registered before the event it waits for can happen (before start, before remove), so none
is ever missed; the future resolves to the exit code.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

CONDITIONS = ("not-running", "next-exit", "removed")


class Waiters:
    def __init__(self) -> None:
        self._exit: defaultdict[str, list[asyncio.Future[int]]] = defaultdict(list)
        self._removed: defaultdict[str, list[asyncio.Future[int]]] = defaultdict(list)

    def on_exit(self, container_id: str) -> asyncio.Future[int]:
        """A future resolved with the exit code of the container's next exit."""
        return self._add(self._exit, container_id)

    def on_removed(self, container_id: str) -> asyncio.Future[int]:
        """A future resolved with the last exit code once the container is removed."""
        return self._add(self._removed, container_id)

    def exited(self, container_id: str, code: int) -> None:
        self._wake(self._exit, container_id, code)

    def removed(self, container_id: str, code: int) -> None:
        self._wake(self._exit, container_id, code)
        self._wake(self._removed, container_id, code)

    @staticmethod
    def _add(table: defaultdict[str, list[asyncio.Future[int]]], key: str) -> asyncio.Future[int]:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        table[key].append(future)
        return future

    @staticmethod
    def _wake(table: defaultdict[str, list[asyncio.Future[int]]], key: str, code: int) -> None:
        for future in table.pop(key, []):
            if not future.done():
                future.set_result(code)
