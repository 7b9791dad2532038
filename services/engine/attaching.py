"""Attaches waiting for a container's next start (docker's attach to a container not started
yet: `docker start -a`, and the Docker API's attach before start).

Each is opened between the task's creation and its start, so it is in place before the
process runs and no output is lost. A client that goes away first cancels its future; a
container removed before it starts ends them with no output.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from dockyard.api import errors
from dockyard.services.engine.clients.tasks import Output

Stream = AsyncIterator[Output]
Opener = Callable[[], Awaitable[Stream]]


@dataclass
class _Pending:
    opener: Opener
    future: asyncio.Future[Stream]


class AttachesAtStart:
    def __init__(self) -> None:
        self._pending: defaultdict[str, list[_Pending]] = defaultdict(list)

    def on_next_start(self, container_id: str, opener: Opener) -> asyncio.Future[Stream]:
        """A future of `opener()`'s output, opened at the container's next start."""
        future: asyncio.Future[Stream] = asyncio.get_running_loop().create_future()
        self._pending[container_id].append(_Pending(opener, future))
        return future

    async def open(self, container_id: str) -> None:
        """Open every attach waiting for this container (its task exists, not started yet)."""
        for pending in self._pending.pop(container_id, []):
            if pending.future.done():
                continue  # its client went away
            try:
                output = await pending.opener()
            except errors.DockyardError as err:
                pending.future.set_exception(err)
            else:
                if not pending.future.done():
                    pending.future.set_result(output)

    def drop(self, container_id: str) -> None:
        """The container is gone: attaches waiting for its start end with no output."""
        for pending in self._pending.pop(container_id, []):
            if not pending.future.done():
                pending.future.set_result(_no_output())


async def _no_output() -> Stream:
    return
    yield  # an async generator that yields nothing
