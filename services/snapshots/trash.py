"""Removed snapshots' directories, deleted after the reply (as containerd's overlay snapshotter
does with its asynchronous removal): `rm` waits for a rename and a record, not for the deletion
of every file its container wrote.

The snapshotter renames a removed snapshot's directory aside (`removing-<id>`) and deletes
its record; `Trash.put` takes the renamed directory and deletes it in a worker thread, one at
a time, oldest first, at once (so the space comes back promptly). This service's work that adds
to the disk first waits until the trash is empty (`emptied`): on a full disk a removal frees its
space before any snapshot is made or filled, as when the deletion came before the reply. Other
services' writes do not wait (a pull's blobs, a container's log): they may find the space still
taken for as long as the deletion lasts. Only a container's layer is left to
the trash after the reply: an image's (committed) layer is waited for before Remove answers
(`server.py`), as docker's `rmi` frees the space before it returns and says how much. A crash
between the rename and the deletion leaves `removing-*` directories, which the snapshotter's start-up
`reconcile` deletes before the service serves; `close` finishes the deletions under way.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import deque
from pathlib import Path


class Trash:
    def __init__(self) -> None:
        self._waiting: deque[Path] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._put = 0  # directories put so far
        self._done = 0  # of those, how many are deleted (or left to `reconcile`)
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []  # (`_done` awaited, waiter)

    def put(self, directory: Path) -> None:
        """Delete `directory` (renamed aside: no one else knows it) soon, after those before it."""
        self._waiting.append(directory)
        self._put += 1
        if self._worker is None:
            self._worker = asyncio.create_task(self._delete_all())

    async def _delete_all(self) -> None:
        try:
            while self._waiting:
                await asyncio.to_thread(shutil.rmtree, self._waiting[0], ignore_errors=True)
                self._waiting.popleft()
                self._count(self._done + 1)
        finally:  # cancelled (the service stops): what is left is `reconcile`'s at the next start
            self._worker = None
            self._waiting.clear()
            self._count(self._put)

    def _count(self, done: int) -> None:
        self._done = done
        for wanted, waiter in self._waiters:
            if done >= wanted and not waiter.done():
                waiter.set_result(None)
        self._waiters = [(wanted, w) for wanted, w in self._waiters if not w.done()]

    async def emptied(self) -> None:
        """Return once every directory put before this call is deleted."""
        if self._done >= self._put:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((self._put, waiter))
        await waiter

    async def close(self) -> None:
        await self.emptied()
