"""What one does to a running container besides stopping it: pause, unpause, top, stats,
update and exec. Each checks the container's state (docker's errors for the wrong one) and
asks the runtime, which asks the container's shim.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from dockyard.api import errors
from dockyard.services.engine import limits, links, restarts, security, spec
from dockyard.services.engine.clients.tasks import (
    ExecEvent,
    ExecSpec,
    ExecStarted,
    ExitStatus,
    TaskClient,
    TaskStats,
)
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.locks import Locks
from dockyard.services.engine.merge import merge_env
from dockyard.services.engine.model import Container, Resources, RestartPolicy
from dockyard.services.engine.refusals import exec_failure
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.streams import (
    ContainerStats,
    ExecCreated,
    ExecOptions,
    Exited,
    Input,
)
from dockyard.services.engine.streams import ExecEvent as EngineExecEvent

STATS_SECONDS = 1.0
PS_DEFAULT = "-ef"
EXEC_ID = re.compile(r"[0-9a-f]{64}")


class Running:
    def __init__(
        self, store: ContainerStore, locks: Locks, tasks: TaskClient, events: EventBus
    ) -> None:
        self._store = store
        self._locks = locks
        self._tasks = tasks
        self._events = events

    def _running(self, ref: str) -> Container:
        container = self._store.get(ref)
        if container.state.status not in ("running", "paused"):
            raise errors.FailedPrecondition(f"Container {container.id} is not running")
        return container

    async def pause(self, ref: str) -> None:
        container = self._running(ref)
        if container.state.paused:
            raise errors.FailedPrecondition(f"Container {container.id} is already paused")
        async with self._locks(container.id):
            await self._tasks.pause(container.id)
            self._set_paused(container.id, True)
        self._events.container(container, "pause")

    async def unpause(self, ref: str) -> None:
        container = self._store.get(ref)
        if not container.state.paused:
            raise errors.FailedPrecondition(f"Container {container.id} is not paused")
        async with self._locks(container.id):
            await self._tasks.resume(container.id)
            self._set_paused(container.id, False)
        self._events.container(container, "unpause")

    def _set_paused(self, container_id: str, paused: bool) -> None:
        container = self._store.get(container_id)
        container.state.paused = paused
        container.state.status = "paused" if paused else "running"
        self._store.update(container)

    async def top(self, ref: str, ps_args: str) -> tuple[list[str], list[list[str]]]:
        container = self._running(ref)
        pids = await self._tasks.pids(container.id)
        return await ps(set(pids), ps_args or PS_DEFAULT)

    async def stats(self, ref: str, stream: bool) -> AsyncIterator[ContainerStats]:
        container = self._running(ref)
        previous = await self._sample(container)
        if not stream:
            await asyncio.sleep(STATS_SECONDS / 2)
        while True:
            current = await self._sample(container)
            yield _stats(container, current, previous)
            if not stream:
                return
            previous = current
            await asyncio.sleep(STATS_SECONDS)

    async def _sample(self, container: Container) -> TaskStats:
        try:
            return await self._tasks.stats(container.id)
        except errors.NotFound:
            raise errors.FailedPrecondition(f"Container {container.id} is not running") from None

    async def update(self, ref: str, resources: Resources, policy: RestartPolicy | None) -> None:
        container = self._store.get(ref)
        merged = _merge_resources(container.host_config.resources, resources)
        limits.validate(merged)
        if policy is not None:
            restarts.validate(policy, container.host_config.auto_remove)
        async with self._locks(container.id):
            container = self._store.get(container.id)
            if container.running and not container.state.restarting:  # else: at the next start
                await self._tasks.update(container.id, limits.oci_resources(merged))
            container.host_config.resources = merged
            if policy is not None:
                container.host_config.restart_policy = policy
            self._store.update(container)
        self._events.container(container, "update")

    async def exec(
        self, options: ExecOptions, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[EngineExecEvent]:
        container = self._running(options.id)
        if container.state.paused:
            raise errors.FailedPrecondition(
                f"Container {container.id} is paused, unpause the container before exec"
            )
        if not options.cmd:
            raise errors.InvalidArgument("No exec command specified")
        exec_id = options.exec_id or secrets.token_hex(32)
        if not EXEC_ID.fullmatch(exec_id):
            raise errors.InvalidArgument(f"invalid exec ID {exec_id!r}: want 64 hex digits")
        exec_spec = ExecSpec(
            task_id=container.id,
            exec_id=exec_id,
            process=exec_process(
                container, options, links.environment(links.linked(container, self._store.get))
            ),
            terminal=options.tty,
            stdin=options.stdin,
            detach=options.detach,
            size=options.size,
        )
        args = list(exec_spec.process["args"])
        self._events.exec(container, "exec_create", args, execID=exec_id)
        events = self._tasks.exec(exec_spec, inputs)
        yield ExecCreated(exec_id)
        async for event in _started(events):
            if isinstance(event, ExecStarted):
                self._events.exec(container, "exec_start", args, execID=exec_id)
            elif isinstance(event, ExitStatus):
                code = str(event.exit_code)
                self._events.exec(container, "exec_die", args, execID=exec_id, exitCode=code)
                yield Exited(event.exit_code)
            else:
                yield event


async def _started(events: AsyncIterator[ExecEvent]) -> AsyncIterator[ExecEvent]:
    """The exec's events; a process that could not be started (a missing command, unknown
    user, bad working directory...) is docker's 126, "cannot invoke", in dockerd's words."""
    started = False
    try:
        async for event in events:
            started = started or isinstance(event, ExecStarted)
            yield event
    except (
        errors.CommandNotFound,
        errors.CommandNotRunnable,
        errors.InvalidArgument,
        errors.Internal,
    ) as err:
        if started:
            raise
        raise errors.CommandNotRunnable(exec_failure(str(err))) from None


def exec_process(
    container: Container, options: ExecOptions, linked: list[str] | None = None
) -> dict[str, Any]:
    """The exec's process; `linked`: the container's links' variables (dockerd's exec gets
    them too)."""
    host = container.host_config
    privileged = host.privileged or options.privileged
    sec = security.resolve(host.cap_add, host.cap_drop, privileged, host.security_opt)
    config = replace(
        container.config,
        env=merge_env(list(options.env), container.config.env),
        tty=options.tty,
        entrypoint=[],
        cmd=list(options.cmd),
    )
    if options.working_dir:
        config.working_dir = options.working_dir
    if options.user:
        config.user = options.user
    process = spec.process(
        replace(container, config=config), container.config.hostname, sec, linked
    )
    if config.user:
        process["dockyardUser"] = config.user
    return process


def _merge_resources(current: Resources, wanted: Resources) -> Resources:
    """`docker update` changes only what it is given (0 = unchanged)."""
    merged = replace(current)
    for name in (
        "memory",
        "memory_swap",
        "nano_cpus",
        "cpu_shares",
        "cpu_period",
        "cpu_quota",
        "pids_limit",
        "memory_reservation",
        "blkio_weight",
        "kernel_memory",
        "cpu_realtime_period",
        "cpu_realtime_runtime",
    ):
        if getattr(wanted, name):
            setattr(merged, name, getattr(wanted, name))
    if wanted.cpuset_cpus:
        merged.cpuset_cpus = wanted.cpuset_cpus
    if wanted.cpuset_mems:
        merged.cpuset_mems = wanted.cpuset_mems
    if (
        wanted.memory
        and not wanted.memory_swap
        and current.memory_swap
        and current.memory_swap < wanted.memory
    ):
        merged.memory_swap = 0  # the old swap limit would be below the new memory limit
    return merged


def _stats(container: Container, now: TaskStats, before: TaskStats) -> ContainerStats:
    return ContainerStats(
        id=container.id,
        name=container.name,
        read=datetime.now(UTC),
        cpu_usage_ns=now.cpu_usage_ns,
        system_cpu_ns=now.system_cpu_ns,
        pre_cpu_usage_ns=before.cpu_usage_ns,
        pre_system_cpu_ns=before.system_cpu_ns,
        online_cpus=now.online_cpus,
        memory_usage=now.memory_usage,
        memory_limit=now.memory_limit,
        memory_cache=now.memory_cache,
        pids=now.pids_current,
        net_rx=now.net_rx,
        net_tx=now.net_tx,
        block_read=now.block_read,
        block_write=now.block_write,
    )


async def ps(pids: set[int], args: str) -> tuple[list[str], list[list[str]]]:
    """The host's `ps ARGS`, keeping the rows of `pids` (docker's `top`)."""
    try:
        process = await asyncio.create_subprocess_exec(
            "ps", *args.split(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise errors.FailedPrecondition("top needs the host's ps (procps)") from None
    out, err = await process.communicate()
    if process.returncode != 0:  # ps's first line says why; the usage text after it does not
        reason = err.decode(errors="replace").strip().splitlines()
        raise errors.InvalidArgument(f"ps: {reason[0] if reason else 'failed'}")
    lines = out.decode(errors="replace").splitlines()
    titles = lines[0].split()
    if "PID" not in titles:
        raise errors.InvalidArgument(f"couldn't find PID field in ps output for ps {args}")
    column = titles.index("PID")
    rows = []
    for line in lines[1:]:
        fields = line.split(None, len(titles) - 1)
        if len(fields) > column and fields[column].isdigit() and int(fields[column]) in pids:
            rows.append(fields)
    return titles, rows
