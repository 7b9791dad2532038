"""Restart scheduling: a container whose policy says "again" is started after a back-off.

The delay (`restarts.next_delay`: 100 ms doubling to a minute, back to 100 ms after 10 s of
running) is recorded with the container before the timer starts, so the next exit doubles it.
When it is due, `on_due` restarts the container; a stop, kill or remove cancels it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from dockyard.services.engine import restarts
from dockyard.services.engine.model import Container
from dockyard.services.engine.store import ContainerStore

OnDue = Callable[[str], Awaitable[None]]


class RestartScheduler:
    def __init__(self, store: ContainerStore, on_due: OnDue) -> None:
        self._store = store
        self._on_due = on_due
        self._timers: dict[str, asyncio.Task[None]] = {}

    def schedule(self, container: Container) -> float:
        """Restart `container` after its next delay; the delay."""
        started = container.state.started_at or container.created
        ran = (datetime.now(UTC) - started).total_seconds()
        container.restart_delay = restarts.next_delay(container.restart_delay, ran)
        self._store.update(container)
        self._timers[container.id] = asyncio.create_task(
            self._later(container.id, container.restart_delay)
        )
        return container.restart_delay

    async def _later(self, container_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._on_due(container_id)

    def cancel(self, container_id: str) -> None:
        """Forget the container's pending restart (not the one running this, if it is)."""
        task = self._timers.pop(container_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def pending(self, container_id: str) -> bool:
        task = self._timers.get(container_id)
        return task is not None and not task.done()

    async def close(self) -> None:
        tasks = list(self._timers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
