"""Exit watching: one task per running container, blocked in the runtime's `wait`.

A watcher survives restarts of the runtime (its wait fails with Unavailable, and it waits
again once the runtime is back; shims keep the exit), so no exit is ever missed. A task the
runtime no longer knows (its state went with a reboot) is an exit with code 255, containerd's.
Each exit is handed to `on_exit` once it has been recorded: when recording it fails for want
of space (`ResourceExhausted`, the disk is full), it is handed over again until it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from dockyard.api import errors
from dockyard.services.engine.clients.tasks import ExitStatus, TaskClient

log = logging.getLogger(__name__)

LOST_TASK_EXIT = 255
RETRY_SECONDS = 0.2
RECORD_RETRY_SECONDS = 1.0

OnExit = Callable[[str, ExitStatus], Awaitable[None]]


class ExitWatcher:
    def __init__(self, tasks: TaskClient, on_exit: OnExit) -> None:
        self._tasks = tasks
        self._on_exit = on_exit
        self._watchers: dict[str, asyncio.Task[None]] = {}

    def watch(self, container_id: str) -> None:
        """Watch for the exit of the container's task (once: a second call is a no-op)."""
        current = self._watchers.get(container_id)
        if current is None or current.done():
            self._watchers[container_id] = asyncio.create_task(self._watcher(container_id))

    async def _watcher(self, container_id: str) -> None:
        status = await self._wait(container_id)
        while True:
            try:
                return await self._on_exit(container_id, status)
            except errors.ResourceExhausted as err:
                log.warning("recording the exit of %s again: %s", container_id[:12], err)
                await asyncio.sleep(RECORD_RETRY_SECONDS)

    async def _wait(self, container_id: str) -> ExitStatus:
        while True:
            try:
                return await self._tasks.wait(container_id)
            except errors.NotFound:
                return ExitStatus(LOST_TASK_EXIT, datetime.now(UTC), error="task not found")
            except (errors.Unavailable, errors.DeadlineExceeded, errors.Cancelled) as err:
                log.info("waiting for %s again: %s", container_id[:12], err)
                await asyncio.sleep(RETRY_SECONDS)

    async def close(self) -> None:
        tasks = list(self._watchers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
