"""A RUN step's container: a real task through the runtime, on the step's snapshot, with
docker's defaults (namespaces, capabilities, seccomp, masked paths: `spec.py`), the default
bridge network unless told otherwise, and RUN --mount's mounts.

    network.create_sandbox → tasks.create (spec, the snapshot's mounts) → tasks.attach →
    tasks.start → the output, streamed → tasks.wait → (always) kill, delete, remove sandbox

Each step registers its undo before the next, so a failure, a cancelled build or a killed
client leaves no task, shim or sandbox behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dockyard.api import errors
from dockyard.services.engine import spec
from dockyard.services.engine.build import runhost
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.networks import SandboxSpec
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.clients.tasks import Input, NewTask, TaskIO
from dockyard.services.engine.model import Container, ContainerConfig, HostConfig

KILL_WAIT_SECONDS = 30.0
NETWORKS = {"": "bridge", "default": "bridge", "bridge": "bridge", "none": "none", "host": "host"}


@dataclass
class RunRequest:
    task_id: str
    argv: list[str]
    env: list[str]
    rootfs: list[Mount]
    user: str = ""
    workdir: str = "/"
    network: str = "bridge"
    mounts: list[dict[str, Any]] = field(default_factory=list)  # RUN --mount's, OCI-shaped
    host: HostConfig = field(default_factory=HostConfig)  # the build's (runhost.py)

    @property
    def hostname(self) -> str:
        return self.task_id.removeprefix("build-")[:12]


def network_mode(text: str) -> str:
    try:
        return NETWORKS[text]
    except KeyError:
        raise errors.InvalidArgument(
            f"network mode {text!r} not supported in builds (default, none, host)"
        ) from None


class RunStep:
    def __init__(self, clients: Clients, cgroup_parent: str, runtime: str = "") -> None:
        self._c = clients
        self._cgroup_parent = cgroup_parent
        self._runtime = "" if runtime == "dockyard" else runtime  # daemon.json's default

    async def run(self, request: RunRequest, output: Callable[[bytes], None]) -> int:
        """Run the command to its end; its exit code. Its output goes to `output`."""
        host = runhost.container_host(request.host, request.network)
        async with AsyncExitStack() as undo:
            undo.push_async_callback(self._remove_sandbox, request.task_id)
            sandbox = await self._c.network.create_sandbox(
                SandboxSpec(
                    request.task_id,
                    request.network,
                    hostname=request.hostname,
                    extra_hosts=list(host.extra_hosts),
                )
            )
            inputs = spec.SpecInputs(
                hostname=request.hostname,
                netns_path=sandbox.netns_path or None,
                cgroup_parent=self._cgroup_parent,
                hosts_path=sandbox.hosts_path,
                resolv_conf_path=sandbox.resolv_conf_path,
                hostname_path=sandbox.hostname_path,
                mounts=list(request.mounts),
            )
            document = spec.build(_container(request, host), inputs)
            undo.push_async_callback(self._discard, request.task_id)
            task = NewTask(request.task_id, document, request.rootfs, TaskIO(), self._runtime)
            await self._c.tasks.create(task)
            stream = await self._c.tasks.attach(request.task_id, False, _no_input())
            await self._c.tasks.start(request.task_id)
            async for chunk in stream:
                output(chunk.data)
            status = await self._c.tasks.wait(request.task_id)
            return status.exit_code
        raise AssertionError("unreachable")  # pragma: no cover - the block returns or raises

    async def _discard(self, task_id: str) -> None:
        """Kill (if it still runs), wait for and delete the task; each step idempotent."""
        with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
            await self._c.tasks.kill(task_id, signal.SIGKILL, all_processes=True)
        with contextlib.suppress(errors.DockyardError, TimeoutError):
            await asyncio.wait_for(self._c.tasks.wait(task_id), KILL_WAIT_SECONDS)
        with contextlib.suppress(errors.NotFound):
            await self._c.tasks.delete(task_id)

    async def _remove_sandbox(self, task_id: str) -> None:
        with contextlib.suppress(errors.NotFound):
            await self._c.network.remove_sandbox(task_id)


def _container(request: RunRequest, host: HostConfig) -> Container:
    """The container record the spec builder takes (never stored: builds have no records)."""
    config = ContainerConfig(
        hostname=request.hostname,
        user=request.user,
        env=list(request.env),
        cmd=list(request.argv),
        entrypoint=[],
        working_dir=request.workdir or "/",
    )
    return Container(request.task_id, request.task_id, datetime.now(UTC), "", config, host)


def default_stubs(request: RunRequest) -> list[str]:
    """The mount points of a RUN's container: docker's defaults, the network files, its own."""
    defaults = [m["destination"] for m in spec.default_mounts()]
    files = ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts", *spec.INIT_FILES]
    return sorted({*defaults, *files, *(m["destination"] for m in request.mounts)})


async def _no_input() -> AsyncIterator[Input]:
    return
    yield  # an async generator that sends nothing
