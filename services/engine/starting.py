"""Starting a created (or exited) container's task, and tearing it down again.

    create_task  network.create_sandbox (endpoints, published ports) → snapshots.mounts →
                 volumes.mount of each volume (counted per container) → the OCI spec →
                 tasks.create (set up to the exec of the process)
    start_task   tasks.start → the record says running → exit watching begins → event "start"
    teardown     tasks.delete, network.remove_sandbox and volumes.unmount, all at once (each
                 idempotent)

A container this engine created and never started since, or whose teardown (its exit's)
succeeded since its last start, holds nothing in the runtime, the network or the volumes
service: `holds_nothing` says so, and its removal asks them nothing. A start marks it as
holding until a teardown succeeds (a start that failed half-way, and whose undo failed too,
is asked again). Kept in memory only: after an engine restart, a removal asks again (each
step is idempotent).

Each step registers its undo before the next runs, so a failed start leaves nothing behind.
The caller holds the container's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dockyard.api import errors, timings
from dockyard.api.config import DaemonConfig
from dockyard.services.engine import defaultsonly, health, isolation, links, spec
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.networks import Sandbox
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.clients.tasks import NewTask, Resize, TaskIO
from dockyard.services.engine.endpoints import record_sandbox, sandbox_spec
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.model import Container, ContainerState
from dockyard.services.engine.mounting import Mounter
from dockyard.services.engine.refusals import start_failure
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.units import parse_size

Watch = Callable[[str], None]
"""Called with a container's ID once its task runs (the exit watcher's `watch`)."""


@dataclass(frozen=True)
class _Inputs:
    """What a start got ready for the task's spec."""

    sandbox: Sandbox
    volumes: list[dict[str, Any]]
    joined: isolation.Joined
    linked_env: list[str]


class Starter:
    def __init__(
        self,
        store: ContainerStore,
        clients: Clients,
        config: DaemonConfig,
        events: EventBus,
        watch: Watch,
        mounter: Mounter,
    ) -> None:
        self._store = store
        self._c = clients
        self._config = config
        self._events = events
        self._watch = watch
        self._mounter = mounter
        self._released: set[str] = set()  # created, or torn down, since their last start
        self.holding: set[str] = set()  # containers this engine mounted volumes for

    async def create_task(self, container: Container, size: Resize | None = None) -> None:
        """Sandbox + runtime task, set up up to the exec of the process (undone on failure)."""
        self._check_shared_namespace(container)
        defaultsonly.check_devices(container.host_config.device_requests)
        self._released.discard(container.id)
        joined = self._joined(container)
        linked = links.linked(container, self._store.get)
        async with AsyncExitStack() as undo:
            undo.push_async_callback(self.remove_sandbox, container.id)
            with timings.phase("engine.network"):
                wanted = sandbox_spec(container, links.hosts(linked))
                sandbox = await self._c.network.create_sandbox(wanted)
            undo.push_async_callback(self.release_volumes, container.id)
            with timings.phase("engine.mounts"):
                mounts = await self._c.snapshots.mounts(container.id)
                self.holding.add(container.id)
                volumes = await self._mounter.entries(container)
            record_sandbox(container, sandbox)
            await self._update_parents(container)
            undo.push_async_callback(self.delete_task, container.id)
            try:
                inputs = _Inputs(sandbox, volumes, joined, links.environment(linked))
                task = self._new_task(container, inputs, mounts, size)
                with timings.phase("engine.task"):
                    await self._create(task)
            except (errors.CommandNotFound, errors.CommandNotRunnable) as err:
                container.state.error = start_failure(str(err))
                container.state.exit_code = 127 if isinstance(err, errors.CommandNotFound) else 126
                self._store.update(container)
                raise type(err)(container.state.error) from None
            undo.pop_all()

    async def _create(self, task: NewTask) -> None:
        try:
            await self._c.tasks.create(task)
        except errors.AlreadyExists:  # a stopped task an earlier teardown failed to delete
            await self.delete_task(task.id)
            await self._c.tasks.create(task)

    def _check_shared_namespace(self, container: Container) -> None:
        mode = container.host_config.network_mode
        if mode.startswith("container:"):
            other = self._store.get(mode.removeprefix("container:"))
            if not other.running or other.state.restarting:
                raise errors.FailedPrecondition(
                    f"cannot join network namespace of a non running container: {other.id}"
                )

    def _joined(self, container: Container) -> isolation.Joined:
        """The ipc and pid namespaces of the containers --ipc/--pid container:X name: each
        must run (and an ipc donor be shareable, as docker's)."""
        paths = {}
        for kind, mode in (
            ("ipc", container.host_config.ipc_mode),
            ("pid", container.host_config.pid_mode),
        ):
            if not mode.startswith("container:"):
                continue
            other = self._store.get(mode.removeprefix("container:"))
            if not other.running or other.state.restarting or not other.state.pid:
                raise errors.FailedPrecondition(
                    f"cannot join {kind.upper()} of a non running container: {other.id}"
                )
            if kind == "ipc" and other.host_config.ipc_mode not in ("shareable", "host"):
                raise errors.FailedPrecondition(
                    f"can't join IPC of container {other.id}: non-shareable IPC (hint: use "
                    "IpcMode:shareable for the donor container)"
                )
            paths[kind] = f"/proc/{other.state.pid}/ns/{kind}"
            if kind == "ipc":
                paths["shm"] = f"/proc/{other.state.pid}/ns/mnt"
        return isolation.Joined(**paths)

    async def _update_parents(self, container: Container) -> None:
        """Its address on the default bridge into the /etc/hosts of the running containers
        linked to it, as libnetwork's parent updates do at each start."""
        address = links.bridge_address(container)
        if not address:
            return
        for parent, alias in self._store.linking_to(container.name):
            await self._c.network.update_hosts(parent.id, alias, address)

    def _new_task(
        self, container: Container, got: _Inputs, mounts: list[Mount], size: Resize | None
    ) -> NewTask:
        sandbox = got.sandbox
        inputs = spec.SpecInputs(
            joined=got.joined,
            mounts=got.volumes,
            linked_env=got.linked_env,
            hostname=container.config.hostname,
            netns_path=sandbox.netns_path or None,
            cgroup_parent=self._config.cgroup_parent,
            hosts_path=container.hosts_path,
            resolv_conf_path=container.resolv_conf_path,
            hostname_path=container.hostname_path,
        )
        host = container.host_config
        log_opts = host.log_config.config
        io = TaskIO(
            terminal=container.config.tty,
            stdin=container.config.open_stdin,
            log_path=container.log_path if host.log_config.type != "none" else "",
            log_max_size=parse_size(log_opts["max-size"]) if "max-size" in log_opts else 0,
            log_max_files=int(log_opts.get("max-file", "1")),
            console_size=size if container.config.tty else None,
        )
        runtime = "" if host.runtime == "dockyard" else host.runtime
        return NewTask(container.id, spec.build(container, inputs), mounts, io, runtime)

    async def start_task(self, container: Container) -> None:
        with timings.phase("engine.start"):
            await self._start_task(container)

    async def _start_task(self, container: Container) -> None:
        try:
            pid = await self._c.tasks.start(container.id)
        except errors.DockyardError:
            await self.teardown(container.id)
            raise
        container.state = ContainerState(
            status="running",
            running=True,
            pid=pid,
            started_at=datetime.now(UTC),
            finished_at=container.state.finished_at,
            health=health.reset(container),
        )
        self._store.update(container)
        self._watch(container.id)
        self._events.volumes(container, "mount")
        self._events.container(container, "start")

    async def teardown(self, container_id: str) -> None:
        """Delete the task and the sandbox and let the volumes go (each idempotent), all at
        once: none needs another gone first (the task's processes are dead, or die with its
        shim's delete; a volume unmounted on the host stays in their mount namespace until
        then). The first failure is raised once all are done."""
        done = await asyncio.gather(
            self.delete_task(container_id),
            self.remove_sandbox(container_id),
            self.release_volumes(container_id),
            return_exceptions=True,
        )
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
        self.released(container_id)

    def released(self, container_id: str) -> None:
        """The container holds no task, sandbox or volume mount (just created, or torn down)."""
        self._released.add(container_id)

    def holds_nothing(self, container_id: str) -> bool:
        """Whether the container was created or torn down since its last start, so that it
        holds no task, sandbox or volume mount (asked once, by its removal: the answer is
        forgotten)."""
        try:
            self._released.remove(container_id)
        except KeyError:
            return False
        return True

    async def delete_task(self, container_id: str) -> None:
        with contextlib.suppress(errors.NotFound):
            await self._c.tasks.delete(container_id)

    async def release_volumes(self, container_id: str) -> None:
        """The container uses its volumes no more (a tmpfs volume's last user: data gone)."""
        if self._uses_volumes(container_id):
            await self._c.volumes.unmount(container_id)
        self.holding.discard(container_id)

    def _uses_volumes(self, container_id: str) -> bool:
        """False only for a recorded container without volumes (no call needed)."""
        try:
            container = self._store.get(container_id)
        except errors.NotFound:
            return True
        return any(m.type == "volume" for m in container.mounts)

    async def remove_sandbox(self, container_id: str) -> None:
        with contextlib.suppress(errors.NotFound):
            await self._c.network.remove_sandbox(container_id)
