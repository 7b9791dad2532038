"""The engine's health probes: one asyncio task per running container that has a check.

    arm(id)     at each start (and, for the running ones, when the engine starts: the state
                is in the record, so a restarted engine carries on where it was)
    disarm(id)  at the exit: an exited container is probed no more

Each round waits the interval, then runs the check as an exec through the runtime (as
`docker exec` does), bounded by the timeout: a probe still running then is killed (SIGKILL to
its process group, which its exec leads) and counts as a failure. A paused container is not
probed. A runtime that cannot be reached gives no result (the round is tried again later): a
restart of a service is no failure of the container. Each result is written to the record
under the container's lock, only if the container is still in the run the probe was for, and
a change of status is published as docker's `health_status: <status>` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from dockyard.api import errors
from dockyard.services.engine import health, links
from dockyard.services.engine.clients.tasks import (
    ExecSpec,
    ExecStarted,
    Input,
    Output,
    TaskClient,
)
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.locks import Locks
from dockyard.services.engine.model import Container, HealthConfig, HealthResult
from dockyard.services.engine.running import exec_process
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.streams import ExecOptions

log = logging.getLogger(__name__)

UNREACHABLE = (errors.Unavailable, errors.DeadlineExceeded, errors.Cancelled)
Kill = Callable[[int], None]


def kill_probe(pid: int) -> None:
    """SIGKILL the probe's process group (its exec leads one: the shim makes it a session).
    Only a process in another pid namespace than the engine's is touched: a probe runs in its
    container's, and a pid that is no longer the probe's (or a made-up one) is left alone."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return  # gone already
    try:
        if os.readlink(f"/proc/{pid}/ns/pid") == os.readlink("/proc/self/ns/pid"):
            return
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(fd)


class HealthMonitor:
    def __init__(
        self,
        store: ContainerStore,
        tasks: TaskClient,
        events: EventBus,
        locks: Locks,
        kill: Kill = kill_probe,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._events = events
        self._locks = locks
        self._kill = kill
        self._monitors: dict[str, asyncio.Task[None]] = {}

    def arm(self, container_id: str) -> None:
        """Probe the container from now on, if it has a check (a second call restarts)."""
        self.disarm(container_id)
        try:
            container = self._store.get(container_id)
        except errors.NotFound:
            return
        if health.effective(container.config.healthcheck) is not None:
            self._monitors[container_id] = asyncio.create_task(self._monitor(container_id))

    def disarm(self, container_id: str) -> None:
        task = self._monitors.pop(container_id, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._monitors.values())
        self._monitors.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _monitor(self, container_id: str) -> None:
        started_at = self._store.get(container_id).state.started_at
        while True:
            container = self._current(container_id, started_at)
            check = health.effective(container.config.healthcheck) if container else None
            if container is None or check is None:
                return
            await asyncio.sleep(check.interval / health.SECOND)
            container = self._current(container_id, started_at)
            if container is None:
                return
            if container.state.paused:
                continue
            result = await self._probe(container, check)
            if result is not None:
                await self._record(container_id, started_at, result, check)

    def _current(self, container_id: str, started_at: datetime | None) -> Container | None:
        """The record, while it is still of the run being probed."""
        try:
            container = self._store.get(container_id)
        except errors.NotFound:
            return None
        state = container.state
        if state.status not in ("running", "paused") or state.started_at != started_at:
            return None
        return container

    async def _probe(self, container: Container, check: HealthConfig) -> HealthResult | None:
        start = datetime.now(UTC)
        command = health.argv(check)
        if not command:
            return HealthResult(start, datetime.now(UTC), -1, "no command in the healthcheck")
        try:  # the links' variables, as dockerd's probe gets them (a failure is its result)
            linked = links.environment(links.linked(container, self._store.get))
        except errors.DockyardError as err:
            return HealthResult(start, datetime.now(UTC), -1, str(err))
        spec = ExecSpec(
            task_id=container.id,
            exec_id=secrets.token_hex(32),
            process=exec_process(container, ExecOptions(id=container.id, cmd=command), linked),
        )
        pids: list[int] = []
        output = bytearray()
        try:
            async with asyncio.timeout(check.timeout / health.SECOND):
                code = await self._run(container, spec, pids, output)
        except TimeoutError:
            for pid in pids:
                self._kill(pid)
            return HealthResult(start, datetime.now(UTC), -1, health.timeout_message(check.timeout))
        except UNREACHABLE as err:
            log.info("probing %s again later: %s", container.short_id, err)
            return None
        except errors.DockyardError as err:
            return HealthResult(start, datetime.now(UTC), -1, str(err))
        return HealthResult(start, datetime.now(UTC), code, output.decode(errors="replace"))

    async def _run(
        self, container: Container, spec: ExecSpec, pids: list[int], output: bytearray
    ) -> int:
        """The probe's exit code; its pid goes to `pids` (for a kill), its output to `output`.
        Its exec events are published as for any exec (dockerd's probes have them too)."""
        exec_id, args = spec.exec_id, list(spec.process["args"])
        self._events.exec(container, "exec_create", args, execID=exec_id)
        async for event in self._tasks.exec(spec, _no_input()):
            if isinstance(event, ExecStarted):
                pids.append(event.pid)
                self._events.exec(container, "exec_start", args, execID=exec_id)
            elif isinstance(event, Output):
                output.extend(event.data[: max(0, health.OUTPUT_BYTES - len(output))])
            else:
                code = str(event.exit_code)
                self._events.exec(container, "exec_die", args, execID=exec_id, exitCode=code)
                return event.exit_code
        raise errors.Internal("the probe's stream ended without its exit")

    async def _record(
        self,
        container_id: str,
        started_at: datetime | None,
        result: HealthResult,
        check: HealthConfig,
    ) -> None:
        async with self._locks(container_id):
            container = self._current(container_id, started_at)
            if container is None:
                return
            state = container.state
            if state.health is None:
                state.health = health.reset(container)
            assert state.health is not None
            changed = health.record(state.health, result, check, state.started_at)
            self._store.update(container)
        if changed:
            self._events.container(container, f"health_status: {state.health.status}")


async def _no_input() -> AsyncIterator[Input]:
    """A probe's stdin: none."""
    nothing: tuple[Input, ...] = ()
    for item in nothing:
        yield item
