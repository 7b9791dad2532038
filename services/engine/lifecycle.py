"""Container lifecycle: the verbs that change a container's state, and what an exit does.

The jobs are each their own module; this one wires them and holds the verbs:

    creating.py    create: image, record, writable layer
    attaching.py   attaches waiting for a container's next start
    starting.py    create_task/start_task/teardown: sandbox, spec, runtime task
    exits.py       exit watching: one waiter per running task, across runtime restarts
    restarting.py  restart scheduling with back-off
    repair.py      start-up repair: stale tasks and sandboxes, restarts due at start
    endpoints.py   what a sandbox is asked for and what it gave

    exit    tasks.delete, network.remove_sandbox, volumes.unmount → record (→ restart later, or remove)
    remove  (kill) → tasks.delete → volumes.unmount → snapshots.remove, network.remove_sandbox
            and files at once → record (a container never started since its creation or its
            exit's teardown: only the layer and the files) (→ with `volumes`, or for an auto-remove container: its
            anonymous volumes)

The layer goes whatever else fails (the three are all waited for): on a full disk it is what
gives the space back, so a removal that fails further on succeeds when tried again. Waits for
an exit after SIGKILL are bounded (`KILL_WAIT_SECONDS`): a kill that brings no exit is an
error, never a hang.

One lock per container (`locks`) serialises its state changes; waiting for an exit never holds
it. Services are reached only through `clients`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

from dockyard.api import errors, timings
from dockyard.api.config import DaemonConfig
from dockyard.services.engine import links, mounting, names, restarts, signals
from dockyard.services.engine.attaching import AttachesAtStart
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.tasks import ExitStatus
from dockyard.services.engine.creating import Creator, container_dir, remove_layer
from dockyard.services.engine.endpoints import clear_endpoints
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.exits import ExitWatcher
from dockyard.services.engine.healthmonitor import HealthMonitor
from dockyard.services.engine.locks import Locks
from dockyard.services.engine.model import Container, ContainerState
from dockyard.services.engine.repair import StartupRepair, running_records
from dockyard.services.engine.restarting import RestartScheduler
from dockyard.services.engine.starting import Starter
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.waiters import Waiters

log = logging.getLogger(__name__)

DEFAULT_STOP_SECONDS = 10
KILL_WAIT_SECONDS = 30.0


class Lifecycle:
    def __init__(
        self,
        store: ContainerStore,
        clients: Clients,
        root: Path,
        config: DaemonConfig,
        events: EventBus,
    ) -> None:
        self._store = store
        self._c = clients
        self._root = root
        self._events = events
        self.locks = Locks()
        self.waiters = Waiters()
        self.attaches = AttachesAtStart()
        self._exits = ExitWatcher(clients.tasks, self._exited)
        self.health = HealthMonitor(store, clients.tasks, events, self.locks)
        self._restarts = RestartScheduler(store, self._restart_due)
        self.mounter = mounting.Mounter(clients.volumes, mounting.VolumeUsers(store), events)
        self.starter = Starter(store, clients, config, events, self._watch, self.mounter)
        self.creator = Creator(
            store, clients, root, config, events, self.mounter, self.starter.released
        )
        self.repair = StartupRepair(store, clients, self.starter, self.start, self.remove)
        self._shutting_down: set[str] = set()  # stopped for a daemon shutdown
        self._removing: set[str] = set()  # being removed: no restart policy applies any more

    def resume_watching(self) -> None:
        """At engine start: watch every container the records say is running (its exit, and
        its health where it has a check)."""
        for container_id in running_records(self._store):
            self._watch(container_id)

    def _watch(self, container_id: str) -> None:
        self._exits.watch(container_id)
        self.health.arm(container_id)

    async def close(self) -> None:
        await self.health.close()
        await self._exits.close()
        await self._restarts.close()

    # -- start ----------------------------------------------------------------------------

    async def start(self, ref: str) -> Container:
        """Start a created or exited container; a running one is left as it is (docker).

        Attaches waiting for this start are opened between the task's creation and its start.
        An auto-remove container whose start fails is removed (a wait for "removed" ends), as
        docker does.
        """
        container = self._store.get(ref)
        try:
            async with self.locks(container.id):
                container = self._store.get(container.id)
                if not container.running or container.state.restarting:
                    self._restarts.cancel(container.id)
                    self._shutting_down.discard(container.id)
                    container.manually_stopped = False
                    await self.starter.create_task(container)
                    await self.attaches.open(container.id)
                    await self.starter.start_task(container)
        except errors.DockyardError:
            if container.host_config.auto_remove:
                with contextlib.suppress(errors.DockyardError):
                    await self.remove(container.id, force=True)
            raise
        return container

    # -- exit -----------------------------------------------------------------------------

    async def _exited(self, container_id: str, status: ExitStatus) -> None:
        self.health.disarm(container_id)
        async with self.locks(container_id):
            try:
                container = self._store.get(container_id)
            except errors.NotFound:
                return
            if not container.running or container.state.restarting:
                return
            with timings.phase("engine.exit"):
                await self._teardown_after_exit(container_id)
                held = container_id in self._shutting_down or container_id in self._removing
                again = not held and restarts.should_restart(
                    container.host_config.restart_policy,
                    status.exit_code,
                    container.restart_count,
                    container.manually_stopped,
                )
                container.state = _exit_state(container, status, restarting=again)
                clear_endpoints(container)
                self._store.update(container)
        if status.oom_killed:
            self._events.container(container, "oom")
        self._events.container(container, "die", exitCode=str(status.exit_code))
        self._events.volumes(container, "unmount")
        self.waiters.exited(container_id, status.exit_code)
        if again:
            self._restarts.schedule(container)
        elif container.host_config.auto_remove:
            await self.remove(container_id, force=True)

    async def _teardown_after_exit(self, container_id: str) -> None:
        """Release the task and sandbox; a failure is logged, never loses the exit (the record
        is updated all the same, and remove, the next start or start-up repair retries)."""
        try:
            await self.starter.teardown(container_id)
        except errors.DockyardError as err:
            log.warning("releasing %s after its exit failed: %s", container_id[:12], err)

    async def _restart_due(self, container_id: str) -> None:
        async with self.locks(container_id):
            try:
                container = self._store.get(container_id)
            except errors.NotFound:
                return
            if not container.state.restarting or container.manually_stopped:
                return
            if container_id in self._removing:
                return
            container.restart_count += 1
            try:
                await self.starter.create_task(container)
                await self.starter.start_task(container)
            except errors.DockyardError as err:
                log.warning("restarting %s failed: %s", container.short_id, err)
                container.state.restarting, container.state.status = False, "exited"
                container.state.error = str(err)
                self._store.update(container)
                return
        self._events.container(container, "restart")

    # -- stop, kill, remove, wait -----------------------------------------------------------

    async def stop(
        self, ref: str, seconds: int | None, shutdown: bool = False, signal_name: str = ""
    ) -> Container:
        """Send the stop signal (or `signal_name`), wait `seconds`, then SIGKILL."""
        if shutdown:  # restart policies hold at the next start, not at this exit
            container = self._store.get(ref)
            self._shutting_down.add(container.id)
        else:
            container = await self._mark_stopped(ref)
        if not container.running:
            return container
        if container.state.restarting:
            await self._abort_restart(container)
            return container
        seconds = seconds if seconds is not None else container.config.stop_timeout
        seconds = DEFAULT_STOP_SECONDS if seconds is None else seconds
        number = signals.parse(signal_name or container.config.stop_signal, signal.SIGTERM)
        exited = self.waiters.on_exit(container.id)
        await self._signal(container, number)
        if seconds >= 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(exited), seconds)
                self._events.container(container, "stop")
                return container
        await self._signal(container, signal.SIGKILL, all_processes=True)
        await _killed(container, exited)
        self._events.container(container, "stop")
        return container

    async def _mark_stopped(self, ref: str) -> Container:
        """Record a stop by hand (restart policies then leave the container alone)."""
        container = self._store.get(ref)
        async with self.locks(container.id):
            container = self._store.get(container.id)
            container.manually_stopped = True
            self._store.update(container)
        return container

    async def _abort_restart(self, container: Container) -> None:
        async with self.locks(container.id):
            self._restarts.cancel(container.id)
            container = self._store.get(container.id)
            container.state.restarting, container.state.status = False, "exited"
            self._store.update(container)

    async def kill(self, ref: str, signal_name: str) -> Container:
        number = signals.parse(signal_name)
        try:
            container = self._store.get(ref)
        except errors.NotFound as err:  # docker's words
            raise errors.NotFound(f"Cannot kill container: {ref}: {err}") from None
        if container.state.restarting:
            await self._mark_stopped(ref)
            await self._abort_restart(container)
            return container
        if not container.running:
            raise errors.FailedPrecondition(
                f"Cannot kill container: {ref}: container {container.id} is not running"
            )
        if number in (signal.SIGKILL, signal.SIGTERM):
            await self._mark_stopped(container.id)
        exited = self.waiters.on_exit(container.id)
        await self._signal(container, number, all_processes=number == signal.SIGKILL)
        self._events.container(container, "kill", signal=str(number))
        try:
            if number == signal.SIGKILL:  # docker's kill returns once SIGKILL has done its work
                await _killed(container, exited)
        finally:
            exited.cancel()
        return container

    async def _signal(self, container: Container, number: int, all_processes: bool = False) -> None:
        """Signal the task; a paused one is thawed first (frozen processes cannot act on it)."""
        if self._store.get(container.id).state.paused and number in (
            signal.SIGKILL,
            signal.SIGTERM,
        ):
            with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
                await self._c.tasks.resume(container.id)
            current = self._store.get(container.id)
            current.state.paused, current.state.status = False, "running"
            self._store.update(current)
        with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):  # exited meanwhile
            await self._c.tasks.kill(container.id, number, all_processes)

    async def remove(self, ref: str, force: bool, volumes: bool = False) -> None:
        """Remove the container; with `volumes` (rm -v), or for an auto-remove container, its
        anonymous volumes too (those no other container uses)."""
        container = self._store.get(ref)
        try:
            await self._stop_for_removal(container.id, force)
            async with self.locks(container.id):
                try:
                    container = self._store.get(container.id)
                except errors.NotFound:
                    return  # auto-removed meanwhile
                await self._release(container.id)
        finally:
            self._removing.discard(container.id)
        if volumes or container.host_config.auto_remove:
            await self._release_volumes(container)
        self.locks.forget(container.id)
        self.attaches.drop(container.id)
        self._events.container(container, "destroy")
        self.waiters.removed(container.id, container.state.exit_code)

    async def remove_link(self, ref: str) -> None:
        """rm --link: the parent forgets the link `ref` ("parent/alias"); a running parent's
        /etc/hosts loses its line (dockerd refreshes its sandbox), its process keeps the
        link's variables."""
        parent = links.without_link(ref, self._store.get)
        async with self.locks(parent.id):
            current = self._store.get(parent.id)
            current.host_config.links = parent.host_config.links
            self._store.update(current)
            if current.running:  # dockerd refreshes its sandbox: the hosts line goes
                await self._c.network.update_hosts(current.id, ref.rsplit("/", 1)[-1], "")

    async def _stop_for_removal(self, container_id: str, force: bool) -> None:
        """Under the container's lock, so that no restart is half-way: refuse a live container
        without `force`; else no restart may come any more (`_removing`: kept in memory, so a
        full disk cannot stop a removal's kill), and a running task is killed and its exit
        waited for. A restart that held the lock first is killed in the next round."""
        while True:
            async with self.locks(container_id):
                container = self._store.get(container_id)
                if not force and (container.running or self._restarts.pending(container_id)):
                    raise errors.FailedPrecondition(_live_refusal(container))
                self._removing.add(container_id)
                self._restarts.cancel(container_id)
                if container.state.restarting:
                    container.state.restarting, container.state.status = False, "exited"
                    self._store.update(container)
                if not container.running:
                    return
                exited = self.waiters.on_exit(container_id)
                await self._signal(container, signal.SIGKILL, all_processes=True)
            await _killed(container, exited)

    async def _release(self, container_id: str) -> None:
        """Everything a container holds, then its record (the record goes last)."""
        with timings.phase("engine.remove"):
            released = self.starter.holds_nothing(container_id)  # never started, or torn down
            if not released:
                await self.starter.delete_task(container_id)
                await self.starter.release_volumes(container_id)
            directory = container_dir(self._root, container_id)
            await every(
                remove_layer(self._c.snapshots, container_id),
                asyncio.to_thread(shutil.rmtree, directory, ignore_errors=True),
                *([] if released else [self.starter.remove_sandbox(container_id)]),
            )
            self._store.remove(container_id)

    async def _release_volumes(self, container: Container) -> None:
        """A volume that cannot go is logged: the container is gone all the same."""
        try:
            await self.mounter.release(container)
        except errors.DockyardError as err:
            log.warning("removing the volumes of %s failed: %s", container.short_id, err)

    async def restart(self, ref: str, seconds: int | None, signal_name: str = "") -> None:
        container = await self.stop(ref, seconds, signal_name=signal_name)
        await self.start(container.id)
        self._events.container(self._store.get(container.id), "restart")

    async def rename(self, ref: str, new_name: str) -> None:
        name = names.validate(new_name)
        container = self._store.get(ref)
        async with self.locks(container.id):
            container = self._store.get(container.id)
            old, container.name = container.name, name
            if old == name:
                raise errors.InvalidArgument(
                    "Renaming a container with the same name as its current name"
                )
            container.host_config.links = links.renamed(container.host_config.links, old, name)
            self._store.update(container)
        await self._follow_rename(container.id, old, name)
        self._events.container(container, "rename", oldName=f"/{old}")

    async def _follow_rename(self, container_id: str, old: str, new: str) -> None:
        """The links to a renamed container name it anew (dockerd's point at the container)."""
        parents = {p.id for p, _ in self._store.linking_to(old, running_only=False)}
        for parent_id in parents - {container_id}:
            async with self.locks(parent_id):
                parent = self._store.get(parent_id)
                parent.host_config.links = links.renamed(parent.host_config.links, old, new)
                self._store.update(parent)

    async def wait(self, ref: str, condition: str) -> int:
        container = self._store.get(ref)
        if condition == "removed":
            return await self.waiters.on_removed(container.id)
        if condition == "next-exit" or container.running:
            return await self.waiters.on_exit(container.id)
        return container.state.exit_code


async def every(*work: Awaitable[object]) -> None:
    """Await all of `work` at once; the first failure is raised once all are done."""
    for outcome in await asyncio.gather(*work, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


async def _killed(container: Container, exited: asyncio.Future[int]) -> None:
    """Wait for the exit a SIGKILL brings, for a bounded time."""
    try:
        await asyncio.wait_for(exited, KILL_WAIT_SECONDS)
    except TimeoutError:
        raise errors.DeadlineExceeded(
            f"container {container.id} did not exit within {KILL_WAIT_SECONDS:.0f}s of SIGKILL"
        ) from None


def _live_refusal(container: Container) -> str:
    """docker's refusal to remove a running, paused or restarting container without force."""
    procedure = "Stop the container before attempting removal or force remove"
    if container.state.paused:
        procedure = "Unpause and then " + procedure[0].lower() + procedure[1:]
    return f"You cannot remove a {container.state.status} container {container.id}. {procedure}"


def _exit_state(container: Container, status: ExitStatus, restarting: bool) -> ContainerState:
    return ContainerState(
        status="restarting" if restarting else "exited",
        restarting=restarting,
        exit_code=status.exit_code,
        oom_killed=status.oom_killed,
        error=status.error,
        started_at=container.state.started_at,
        finished_at=status.exited_at or datetime.now(UTC),
        health=container.state.health,
    )
