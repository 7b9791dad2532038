"""Work a cancel must not cut short: a thread that writes where a clean-up will remove.

    entries = await finish(asyncio.to_thread(unpack, stream, scratch))

A cancelled `await asyncio.to_thread(...)` returns at once, but its thread runs on: whatever it
writes or commits then lands after the cancelled task's clean-up (a file made in a scratch dir
already removed, a late commit). And a second cancel that reaches a `to_thread` before a worker
picked it up drops the call for good (a clean-up that never runs). `finish` awaits the work to
its end even when cancelled, then re-raises the cancel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def finish(work: Coroutine[Any, Any, T]) -> T:
    """Await `work`; if we are cancelled meanwhile, let it finish before giving up."""
    step = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(step)
    except asyncio.CancelledError:
        await asyncio.wait([step])
        raise
