"""Long work (a pull, a push, a load) that streams progress to the RPC that asked for it.

    job = Job.start(lambda report: work(report))   # work calls report(Progress(...))
    context.add_done_callback(lambda _: job.cancel())
    async for progress in job.progress(): ...       # the last one is what work returned

The work runs as its own task, so it is cancelled when the RPC ends (`cancel`, from the RPC's
done callback) whether or not anyone still reads its progress: a client that went away never
leaves a download or an upload running.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

from dockyard.api.errors import DockyardError
from dockyard.api.tasks import finish as finish  # where the jobs' users take it from
from dockyard.services.images.images import Progress

Report = Callable[[Progress], None]
T = TypeVar("T")


class Job:
    def __init__(self, work: asyncio.Task[Progress], queue: asyncio.Queue[Progress | None]):
        self._work = work
        self._queue = queue

    @classmethod
    def start(cls, work: Callable[[Report], Coroutine[Any, Any, Progress]]) -> Job:
        queue: asyncio.Queue[Progress | None] = asyncio.Queue()

        async def run() -> Progress:
            try:
                return await work(queue.put_nowait)
            finally:
                queue.put_nowait(None)

        return cls(asyncio.create_task(run()), queue)

    def cancel(self) -> None:
        self._work.cancel()

    async def progress(self) -> AsyncIterator[Progress]:
        """Progress lines; the last is what the work returned (or its error is raised)."""
        try:
            while (item := await self._queue.get()) is not None:
                yield item
            yield await self._work
        finally:
            if not self._work.done():
                self._work.cancel()
                with contextlib.suppress(asyncio.CancelledError, DockyardError):
                    await self._work


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of a (nested) exception group: the error that ended a TaskGroup, which
    is what the user should read (one clear line, not a group)."""
    first = group.exceptions[0]
    return first_error(first) if isinstance(first, BaseExceptionGroup) else first
