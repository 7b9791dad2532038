"""A job's clean-up in a thread runs even when the job is cancelled again meanwhile.

A load is cancelled twice when its client goes away (the RPC's done callback, then the progress
stream's end). A second cancel that reaches a plain `to_thread` before a worker took it up
cancels it for good: the spool's removal never ran, and the spool stayed (seen in CI).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from dockyard.services.images.jobs import finish


async def cancelled_twice(clean_up: Callable[[Callable[[], None]], Awaitable[None]]) -> bool:
    """Whether the clean-up ran, for a job cancelled once in its work and once in its clean-up,
    while the only worker thread is busy (the clean-up waits in the executor's queue)."""
    release, cleaned = threading.Event(), threading.Event()
    executor = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    loop.set_default_executor(executor)
    blocker = loop.run_in_executor(None, release.wait, 10)
    started = asyncio.Event()

    async def job() -> None:
        try:
            started.set()
            await asyncio.sleep(3600)
        finally:
            await clean_up(cleaned.set)

    task = asyncio.create_task(job())
    await started.wait()
    task.cancel()  # the first: the work ends, the clean-up is queued behind the busy worker
    for _ in range(3):
        await asyncio.sleep(0)
    task.cancel()  # the second, while the clean-up waits for a thread
    for _ in range(3):  # the cancel reaches the executor's queue before a worker is free
        await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    await blocker
    executor.shutdown(wait=True)
    return cleaned.is_set()


async def test_a_clean_up_through_finish_runs_despite_a_second_cancel() -> None:
    assert await cancelled_twice(lambda work: finish(asyncio.to_thread(work)))


async def test_a_plain_to_thread_clean_up_is_lost_to_a_second_cancel() -> None:
    """What `finish` is for: without it the queued clean-up never runs."""
    assert not await cancelled_twice(lambda work: asyncio.to_thread(work))
