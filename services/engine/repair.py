"""Start-up repair: what the engine does once when it starts, before serving its records.

1. `reconcile`: tear down tasks and sandboxes no running container owns. A crash of the
   engine between two steps of a start or a removal leaves them; the records are the truth (a
   task without a running record is killed, waited for and deleted).
2. `retain_volumes`: the volumes service lets go of the volumes of containers not running.
3. `resume`: watch every container the records say is running, and start again those a
   restart policy says should run (restarting ones; `always`, and `unless-stopped` unless
   stopped by hand).
4. Remove the auto-remove containers (`run --rm`) an engine that died left behind, exited or
   never started: auto-remove is a promise (docker's restore does the same). Only records
   from before this start count: a `run --rm` made since is not left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from dockyard.api import errors
from dockyard.services.engine import restarts
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.model import Container
from dockyard.services.engine.starting import Starter
from dockyard.services.engine.store import ContainerStore

log = logging.getLogger(__name__)

KILL_WAIT_SECONDS = 10.0
BUILD_PREFIX = "build-"  # a build's RUN tasks and sandboxes: the builder cleans up its own

Start = Callable[[str], Awaitable[object]]
Remove = Callable[[str, bool], Awaitable[None]]


class StartupRepair:
    def __init__(
        self,
        store: ContainerStore,
        clients: Clients,
        starter: Starter,
        start: Start,
        remove: Remove,
    ) -> None:
        self._store = store
        self._c = clients
        self._starter = starter
        self._start = start
        self._remove = remove
        self._since = datetime.now(UTC)

    async def run(self) -> None:
        """Repair, then start what restart policies say should run (errors are logged)."""
        try:
            await self.reconcile()
        except errors.DockyardError as err:
            log.warning("start-up repair failed: %s", err)
        try:
            await self.retain_volumes()
        except errors.DockyardError as err:
            log.warning("start-up repair of the volumes' mounts failed: %s", err)
        for container in self._store.list():
            if _due(container):
                try:
                    await self._start(container.id)
                except errors.DockyardError as err:
                    log.warning("could not restart %s: %s", container.short_id, err)
        await self.remove_left_behind()

    async def remove_left_behind(self) -> None:
        for container in self._store.list():
            if _left_behind(container, self._since):
                log.info(
                    "removing %s: auto-remove, left by an engine that died", container.short_id
                )
                try:
                    await self._remove(container.id, True)
                except errors.DockyardError as err:
                    log.warning("could not remove %s: %s", container.short_id, err)

    async def reconcile(self) -> None:
        running = set(running_records(self._store))
        for task in await self._c.tasks.list_tasks():
            if task.id not in running and not task.id.startswith(BUILD_PREFIX):
                log.info("deleting task %s, which no running container owns", task.id[:12])
                await self._discard_task(task.id)
        for sandbox in await self._c.network.list_sandboxes():
            if sandbox.container_id not in running and not sandbox.container_id.startswith(
                BUILD_PREFIX
            ):
                log.info(
                    "removing sandbox %s, which no running container owns",
                    sandbox.container_id[:12],
                )
                await self._starter.remove_sandbox(sandbox.container_id)

    async def retain_volumes(self) -> None:
        """The volumes service lets go of the volumes of every container that no longer runs
        (an engine that died between a mount and its record, or between an exit and its
        unmount, left them held). Those this engine is starting count as running."""
        keep = set(running_records(self._store)) | self._starter.holding
        await self._c.volumes.retain(sorted(keep))

    async def _discard_task(self, task_id: str) -> None:
        with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
            await self._c.tasks.kill(task_id, signal.SIGKILL, all_processes=True)
        with contextlib.suppress(errors.DockyardError, TimeoutError):
            await asyncio.wait_for(self._c.tasks.wait(task_id), KILL_WAIT_SECONDS)
        with contextlib.suppress(errors.FailedPrecondition):
            await self._starter.delete_task(task_id)


def running_records(store: ContainerStore) -> list[str]:
    """The containers whose task should be live now (their exits are watched)."""
    return [c.id for c in store.list() if c.running and not c.state.restarting]


def _left_behind(container: Container, since: datetime) -> bool:
    return (
        container.host_config.auto_remove
        and not container.running
        and not container.state.restarting
        and container.created < since
    )


def _due(container: Container) -> bool:
    return container.state.restarting or (
        not container.running
        and container.state.started_at is not None
        and restarts.restart_on_daemon_start(
            container.host_config.restart_policy, container.manually_stopped
        )
    )
