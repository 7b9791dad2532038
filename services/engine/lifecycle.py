"""Container lifecycle: create, start, stop, kill, remove, and what happens when a task exits.

The engine orchestrates; the work is the other services':

    create  images.Get → snapshots.Prepare(id, parent=image chain ID) → record
    start   network.CreateSandbox (endpoints, published ports) → snapshots.Mounts → spec
            → runtime.Create → runtime.Start
    exit    runtime.Delete → network.RemoveSandbox → record (→ remove, with auto_remove)
    remove  (kill) → runtime.Delete → network.RemoveSandbox → snapshots.Remove → files → record

Each step registers its undo before the next runs, so a failure leaves nothing behind. One lock
per container serialises its state changes; waiting for an exit never holds it. Every running
container has a watcher task blocked in runtime.Wait, which survives runtime restarts (it
retries once the runtime is back), so no exit is ever missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import signal
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockyard.api import errors
from dockyard.api.config import DaemonConfig
from dockyard.images.v1 import images_pb2
from dockyard.network.v1 import network_pb2
from dockyard.runtime.v1 import runtime_pb2
from dockyard.services.engine import limits, names, restarts, security, signals, spec
from dockyard.services.engine.backends import LONG_SECONDS, READY, Backends
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.merge import ImageDefaults, command, merge
from dockyard.services.engine.model import (
    Container,
    ContainerConfig,
    ContainerState,
    EndpointSettings,
    HostConfig,
    NetworkSettings,
    PortBinding,
)
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.units import parse_size
from dockyard.services.engine.waiters import Waiters
from dockyard.snapshots.v1 import snapshots_pb2

log = logging.getLogger(__name__)

DEFAULT_NETWORK_MODE = "bridge"
DEFAULT_STOP_SECONDS = 10
LOST_TASK_EXIT = 255  # the task vanished with its state dir (a reboot): containerd's code


class Lifecycle:
    def __init__(
        self,
        store: ContainerStore,
        backends: Backends,
        root: Path,
        config: DaemonConfig,
        events: EventBus,
    ) -> None:
        self.store = store
        self.events = events
        self.waiters = Waiters()
        self._b = backends
        self._root = root
        self._config = config
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._restarts: dict[str, asyncio.Task[None]] = {}
        self._shutting_down: set[str] = set()  # stopped for a daemon shutdown
        self._attach_at_start: defaultdict[str, list[PendingAttach]] = defaultdict(list)

    # -- create ---------------------------------------------------------------------------

    async def resolve_image(self, ref: str) -> images_pb2.Image:
        return await self._b.images.Get(images_pb2.GetImageRequest(ref=ref), **READY)

    async def create(
        self,
        name: str,
        config: ContainerConfig,
        host: HostConfig,
        endpoints: list[EndpointSettings] | None = None,
    ) -> Container:
        image = await self.resolve_image(config.image)
        name = names.validate(name) if name else names.generate(self._name_taken)
        if self._name_taken(name):
            raise self.store.conflict(name)
        container = self._new_record(name, merge(image_defaults(image), config), host, image)
        container.network_settings = NetworkSettings(
            networks=await self._networks(container.host_config, endpoints or [])
        )
        async with AsyncExitStack() as undo:
            reply = await self._b.snapshots.Prepare(
                snapshots_pb2.PrepareSnapshotRequest(key=container.id, parent=image.chain_id),
                **READY,
            )
            undo.push_async_callback(self._remove_snapshot, container.id)
            container.graph_driver = _graph_driver(reply.mounts)
            self._dir(container.id).mkdir(parents=True, mode=0o710)
            undo.callback(shutil.rmtree, self._dir(container.id), True)
            self.store.add(container)
            undo.pop_all()
        self.publish(container, "create")
        return container

    def _new_record(
        self, name: str, config: ContainerConfig, host: HostConfig, image: images_pb2.Image
    ) -> Container:
        argv = command(config)
        container_id = secrets.token_hex(32)
        host = _normalise_host(host, self._config)
        restarts.validate(host.restart_policy, host.auto_remove)
        limits.validate(host.resources)
        security.resolve(host.cap_add, host.cap_drop, host.privileged, host.security_opt)
        config.hostname = config.hostname or (
            socket.gethostname() if host.network_mode == "host" else container_id[:12]
        )
        return Container(
            id=container_id,
            name=name,
            created=datetime.now(UTC),
            image=image.id,
            config=config,
            host_config=host,
            path=argv[0],
            args=argv[1:],
            log_path=str(self._dir(container_id) / f"{container_id}-json.log"),
        )

    async def _networks(
        self, host: HostConfig, endpoints: list[EndpointSettings]
    ) -> list[EndpointSettings]:
        """Check the network mode (resolving container:NAME) and the endpoints it implies."""
        mode = host.network_mode
        for binding in host.port_bindings:
            parse_port(binding)
        if mode.startswith("container:"):
            other = self.store.get(mode.removeprefix("container:"))
            host.network_mode = f"container:{other.id}"
            return []
        if mode in ("host", "none"):
            if endpoints:
                raise errors.InvalidArgument(
                    f"container cannot be connected to {mode} and another network"
                )
            return []
        wanted = endpoints or [EndpointSettings(network=mode)]
        if all(e.network != mode for e in wanted):
            wanted.insert(0, EndpointSettings(network=mode))
        for endpoint in wanted:
            network = await self._b.network.GetNetwork(
                network_pb2.NetworkRequest(id=endpoint.network), **READY
            )
            if network.driver in ("host", "null") and len(wanted) > 1:
                raise errors.InvalidArgument(
                    f"container cannot be connected to {network.name} and another network"
                )
            if network.driver in ("host", "null"):
                host.network_mode = "host" if network.driver == "host" else "none"
                return []
            if endpoint.ipv4_address and network.name == "bridge":
                raise errors.InvalidArgument(
                    "user specified IP address is supported on user defined networks only"
                )
            if endpoint.aliases and network.name == "bridge":
                raise errors.InvalidArgument(
                    "network-scoped alias is supported only for containers in user defined networks"
                )
        return wanted

    def _name_taken(self, name: str) -> bool:
        try:
            return self.store.get(name).name == name
        except errors.NotFound:
            return False

    def _dir(self, container_id: str) -> Path:
        return self._root / "containers" / container_id

    # -- start ----------------------------------------------------------------------------

    async def start(self, ref: str) -> Container:
        """Start a created or exited container; a running one is left as it is (docker).

        Attaches waiting for this start are opened between the task's creation and its start.
        An auto-remove container whose start fails is removed, as docker does.
        """
        container = self.store.get(ref)
        try:
            async with self._locks[container.id]:
                container = self.store.get(container.id)
                if not container.running or container.state.restarting:
                    self._cancel_restart(container.id)
                    self._shutting_down.discard(container.id)
                    container.manually_stopped = False
                    await self.create_task(container)
                    await self._open_attaches(container.id)
                    await self.start_task(container)
        except errors.DockyardError:
            if container.host_config.auto_remove:
                with contextlib.suppress(errors.DockyardError):
                    await self.remove(container.id, force=True)
            raise
        return container

    def on_next_start(self, container_id: str, opener: Opener) -> asyncio.Future[Output]:
        """A future of `opener()`'s output, run at the container's next start before its
        process does (docker's attach to a container not started yet)."""
        future: asyncio.Future[Output] = asyncio.get_running_loop().create_future()
        self._attach_at_start[container_id].append(PendingAttach(opener, future))
        return future

    async def _open_attaches(self, container_id: str) -> None:
        for pending in self._attach_at_start.pop(container_id, []):
            if pending.future.done():
                continue  # its client went away
            try:
                output = await pending.opener()
            except errors.DockyardError as err:
                pending.future.set_exception(err)
            else:
                if not pending.future.done():
                    pending.future.set_result(output)

    def _drop_attaches(self, container_id: str) -> None:
        """The container is gone: attaches waiting for its start end with no output."""
        for pending in self._attach_at_start.pop(container_id, []):
            if not pending.future.done():
                pending.future.set_result(_no_output())

    async def create_task(self, container: Container, size: tuple[int, int] | None = None) -> None:
        """Sandbox + runtime task, set up up to the exec of the process (undone on failure)."""
        async with AsyncExitStack() as undo:
            undo.push_async_callback(self._remove_sandbox, container.id)
            sandbox = await self._b.network.CreateSandbox(self._sandbox_request(container), **READY)
            mounts = await self._b.snapshots.Mounts(
                snapshots_pb2.MountsRequest(key=container.id), **READY
            )
            container.sandbox_key = sandbox.netns_path
            _record_network_files(container, sandbox)
            _record_endpoints(container, sandbox)
            undo.push_async_callback(self._delete_task, container.id)
            try:
                request = self._task_request(container, sandbox, mounts.mounts)
                if size is not None and container.config.tty:
                    request.io.console_size.width, request.io.console_size.height = size
                await self._b.runtime.Create(request, **READY)
            except (errors.CommandNotFound, errors.CommandNotRunnable) as err:
                container.state.error = str(err)
                container.state.exit_code = 127 if isinstance(err, errors.CommandNotFound) else 126
                self.store.update(container)
                raise
            undo.pop_all()

    def _sandbox_request(self, container: Container) -> network_pb2.CreateSandboxRequest:
        host = container.host_config
        if host.network_mode.startswith("container:"):
            other = self.store.get(host.network_mode.removeprefix("container:"))
            if not other.running or other.state.restarting:
                raise errors.FailedPrecondition(
                    f"cannot join network namespace of a non running container: {other.id}"
                )
        request = network_pb2.CreateSandboxRequest(
            container_id=container.id,
            mode=host.network_mode,
            hostname=container.config.hostname,
            name=container.name,
            dns=host.dns,
            dns_search=host.dns_search,
            dns_options=host.dns_options,
            extra_hosts=host.extra_hosts,
            domainname=container.config.domainname,
        )
        for endpoint in container.network_settings.networks:
            request.endpoints.add(
                network=endpoint.network,
                aliases=endpoint.aliases,
                ipv4_address=endpoint.ipv4_address,
            )
        for binding in published(host, container.config.exposed_ports):
            port, protocol = parse_port(binding)
            request.ports.add(
                protocol=protocol,
                container_port=port,
                host_ip=binding.host_ip,
                host_port=int(binding.host_port or 0),
            )
        return request

    def _task_request(
        self, container: Container, sandbox: network_pb2.Sandbox, mounts: Any
    ) -> runtime_pb2.CreateTaskRequest:
        inputs = spec.SpecInputs(
            hostname=container.config.hostname,
            netns_path=sandbox.netns_path or None,
            cgroup_parent=self._config.cgroup_parent,
            hosts_path=container.hosts_path,
            resolv_conf_path=container.resolv_conf_path,
            hostname_path=container.hostname_path,
        )
        log_opts = container.host_config.log_config.config
        return runtime_pb2.CreateTaskRequest(
            id=container.id,
            spec=json.dumps(spec.build(container, inputs)).encode(),
            rootfs=mounts,
            io=runtime_pb2.IOConfig(
                terminal=container.config.tty,
                stdin=container.config.open_stdin,
                log_path=container.log_path
                if container.host_config.log_config.type != "none"
                else "",
                log=runtime_pb2.LogOptions(
                    max_size=parse_size(log_opts["max-size"]) if "max-size" in log_opts else 0,
                    max_files=int(log_opts.get("max-file", "1")),
                ),
            ),
            runtime=""
            if container.host_config.runtime == "dockyard"
            else container.host_config.runtime,
        )

    async def start_task(self, container: Container) -> None:
        try:
            reply = await self._b.runtime.Start(
                runtime_pb2.StartTaskRequest(id=container.id), **READY
            )
        except errors.DockyardError:
            await self.teardown(container.id)
            raise
        container.state = ContainerState(
            status="running",
            running=True,
            pid=reply.pid,
            started_at=datetime.now(UTC),
            finished_at=container.state.finished_at,
        )
        self.store.update(container)
        self._watch(container.id)
        self.publish(container, "start")

    # -- exit -----------------------------------------------------------------------------

    def resume_watching(self) -> None:
        """At engine start: watch every container the records say is running."""
        for container in self.store.list():
            if container.running and not container.state.restarting:
                self._watch(container.id)

    def _watch(self, container_id: str) -> None:
        if container_id not in self._watchers or self._watchers[container_id].done():
            self._watchers[container_id] = asyncio.create_task(self._watcher(container_id))

    async def _watcher(self, container_id: str) -> None:
        while True:
            try:
                status = await self._b.runtime.Wait(
                    runtime_pb2.WaitTaskRequest(id=container_id),
                    timeout=LONG_SECONDS,
                    wait_for_ready=True,
                )
                break
            except errors.NotFound:
                status = runtime_pb2.ExitStatus(exit_code=LOST_TASK_EXIT, error="task not found")
                status.exited_at.GetCurrentTime()
                break
            except (errors.Unavailable, errors.DeadlineExceeded, errors.Cancelled) as err:
                log.info("waiting for %s again: %s", container_id[:12], err)
                await asyncio.sleep(0.2)
        await self._exited(container_id, status)

    async def _exited(self, container_id: str, status: runtime_pb2.ExitStatus) -> None:
        async with self._locks[container_id]:
            try:
                container = self.store.get(container_id)
            except errors.NotFound:
                return
            if not container.running or container.state.restarting:
                return
            await self.teardown(container_id)
            again = container_id not in self._shutting_down and restarts.should_restart(
                container.host_config.restart_policy,
                status.exit_code,
                container.restart_count,
                container.manually_stopped,
            )
            container.state = _exit_state(container, status, restarting=again)
            _clear_endpoints(container)
            self.store.update(container)
        if status.oom_killed:
            self.publish(container, "oom")
        self.publish(container, "die", exitCode=str(status.exit_code))
        self.waiters.exited(container_id, status.exit_code)
        if again:
            self._schedule_restart(container)
        elif container.host_config.auto_remove:
            await self.remove(container_id, force=True)

    def _schedule_restart(self, container: Container) -> None:
        started = container.state.started_at or container.created
        ran = (datetime.now(UTC) - started).total_seconds()
        container.restart_delay = restarts.next_delay(container.restart_delay, ran)
        self.store.update(container)
        self._restarts[container.id] = asyncio.create_task(
            self._restart_later(container.id, container.restart_delay)
        )

    async def _restart_later(self, container_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._locks[container_id]:
            try:
                container = self.store.get(container_id)
            except errors.NotFound:
                return
            if not container.state.restarting or container.manually_stopped:
                return
            container.restart_count += 1
            try:
                await self.create_task(container)
                await self.start_task(container)
            except errors.DockyardError as err:
                log.warning("restarting %s failed: %s", container.short_id, err)
                container.state.restarting, container.state.status = False, "exited"
                container.state.error = str(err)
                self.store.update(container)
                return
        self.publish(container, "restart")

    def _cancel_restart(self, container_id: str) -> None:
        task = self._restarts.pop(container_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def reconcile(self) -> None:
        """At engine start: tear down tasks and sandboxes no running container owns.

        A crash of the engine between two steps of a start or a removal leaves them; the
        records are the truth (a task without a running record is killed and deleted).
        """
        containers = self.store.list()
        running = {c.id for c in containers if c.running and not c.state.restarting}
        tasks = await self._b.runtime.List(runtime_pb2.ListTasksRequest(), **READY)
        for task in tasks.tasks:
            if task.id not in running:
                log.info("deleting task %s, which no running container owns", task.id[:12])
                with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
                    await self._b.runtime.Kill(
                        runtime_pb2.KillTaskRequest(id=task.id, signal=signal.SIGKILL, all=True),
                        **READY,
                    )
                with contextlib.suppress(errors.DockyardError, TimeoutError):
                    await asyncio.wait_for(
                        self._b.runtime.Wait(runtime_pb2.WaitTaskRequest(id=task.id), **READY), 10
                    )
                with contextlib.suppress(errors.FailedPrecondition):
                    await self._delete_task(task.id)
        sandboxes = await self._b.network.ListSandboxes(network_pb2.ListSandboxesRequest(), **READY)
        for sandbox in sandboxes.sandboxes:
            if sandbox.container_id not in running:
                log.info(
                    "removing sandbox %s, which no running container owns",
                    sandbox.container_id[:12],
                )
                await self._remove_sandbox(sandbox.container_id)

    async def resume_restarts(self) -> None:
        """At engine start: bring back what restart policies say should run."""
        try:
            await self.reconcile()
        except errors.DockyardError as err:
            log.warning("start-up repair failed: %s", err)
        for container in self.store.list():
            due = container.state.restarting or (
                not container.running
                and container.state.started_at is not None
                and restarts.restart_on_daemon_start(
                    container.host_config.restart_policy, container.manually_stopped
                )
            )
            if due:
                try:
                    await self.start(container.id)
                except errors.DockyardError as err:
                    log.warning("could not restart %s: %s", container.short_id, err)

    def publish(self, container: Container, action: str, **extra: str) -> None:
        attributes = {
            "name": container.name,
            "image": container.config.image,
            **container.config.labels,
        }
        self.events.publish("container", action, container.id, **attributes, **extra)

    def lock(self, container_id: str) -> asyncio.Lock:
        """The lock serialising `container_id`'s state changes."""
        return self._locks[container_id]

    async def teardown(self, container_id: str) -> None:
        """Delete the task and the sandbox (each idempotent)."""
        await self._delete_task(container_id)
        await self._remove_sandbox(container_id)

    # -- stop, kill, remove, wait -----------------------------------------------------------

    async def stop(self, ref: str, seconds: int | None, shutdown: bool = False) -> Container:
        if shutdown:  # restart policies hold at the next start, not at this exit
            container = self.store.get(ref)
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
        exited = self.waiters.on_exit(container.id)
        await self._signal(container, signals.parse(container.config.stop_signal, signal.SIGTERM))
        if seconds >= 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(exited), seconds)
                self.publish(container, "stop")
                return container
        await self._signal(container, signal.SIGKILL, all_processes=True)
        await exited
        self.publish(container, "stop")
        return container

    async def _mark_stopped(self, ref: str) -> Container:
        """Record a stop by hand (restart policies then leave the container alone)."""
        container = self.store.get(ref)
        async with self._locks[container.id]:
            container = self.store.get(container.id)
            container.manually_stopped = True
            self.store.update(container)
        return container

    async def _abort_restart(self, container: Container) -> None:
        async with self._locks[container.id]:
            self._cancel_restart(container.id)
            container = self.store.get(container.id)
            container.state.restarting, container.state.status = False, "exited"
            self.store.update(container)

    async def kill(self, ref: str, signal_name: str) -> Container:
        number = signals.parse(signal_name)
        container = self.store.get(ref)
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
        await self._signal(container, number, all_processes=number == signal.SIGKILL)
        self.publish(container, "kill", signal=str(number))
        return container

    async def _signal(self, container: Container, number: int, all_processes: bool = False) -> None:
        """Signal the task; a paused one is thawed first (frozen processes cannot act on it)."""
        if self.store.get(container.id).state.paused and number in (signal.SIGKILL, signal.SIGTERM):
            with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
                await self._b.runtime.Resume(runtime_pb2.TaskRequest(id=container.id), **READY)
            current = self.store.get(container.id)
            current.state.paused, current.state.status = False, "running"
            self.store.update(current)
        with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):  # exited meanwhile
            await self._b.runtime.Kill(
                runtime_pb2.KillTaskRequest(id=container.id, signal=number, all=all_processes),
                **READY,
            )

    async def remove(self, ref: str, force: bool) -> None:
        container = self.store.get(ref)
        if container.state.restarting:
            await self._mark_stopped(container.id)
            await self._abort_restart(container)
            container = self.store.get(container.id)
        if container.running:
            if not force:
                raise errors.FailedPrecondition(
                    f'cannot remove container "/{container.name}": container is running: '
                    "stop the container before removing or force remove"
                )
            exited = self.waiters.on_exit(container.id)
            await self._signal(container, signal.SIGKILL, all_processes=True)
            await exited
        async with self._locks[container.id]:
            try:
                container = self.store.get(container.id)
            except errors.NotFound:
                return  # auto-removed meanwhile
            await self.teardown(container.id)
            await self._remove_snapshot(container.id)
            shutil.rmtree(self._dir(container.id), ignore_errors=True)
            self.store.remove(container.id)
        self._locks.pop(container.id, None)
        self._drop_attaches(container.id)
        self.publish(container, "destroy")
        self.waiters.removed(container.id, container.state.exit_code)

    async def restart(self, ref: str, seconds: int | None) -> None:
        container = await self.stop(ref, seconds)
        await self.start(container.id)
        self.publish(self.store.get(container.id), "restart")

    async def rename(self, ref: str, new_name: str) -> None:
        name = names.validate(new_name)
        container = self.store.get(ref)
        async with self._locks[container.id]:
            container = self.store.get(container.id)
            old, container.name = container.name, name
            if old == name:
                raise errors.InvalidArgument(
                    "Renaming a container with the same name as its current name"
                )
            self.store.update(container)
        self.publish(container, "rename", oldName=f"/{old}")

    async def wait(self, ref: str, condition: str) -> int:
        container = self.store.get(ref)
        if condition == "removed":
            return await self.waiters.on_removed(container.id)
        if condition == "next-exit" or container.running:
            return await self.waiters.on_exit(container.id)
        return container.state.exit_code

    async def close(self) -> None:
        tasks = [*self._watchers.values(), *self._restarts.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- idempotent undo steps ------------------------------------------------------------

    async def _delete_task(self, container_id: str) -> None:
        await _ignore_missing(
            self._b.runtime.Delete(runtime_pb2.DeleteTaskRequest(id=container_id), **READY)
        )

    async def _remove_sandbox(self, container_id: str) -> None:
        await _ignore_missing(
            self._b.network.RemoveSandbox(
                network_pb2.RemoveSandboxRequest(container_id=container_id), **READY
            )
        )

    async def _remove_snapshot(self, container_id: str) -> None:
        await _ignore_missing(
            self._b.snapshots.Remove(snapshots_pb2.RemoveSnapshotRequest(key=container_id), **READY)
        )


Output = AsyncIterator[runtime_pb2.AttachResponse]
Opener = Callable[[], Awaitable[Output]]


@dataclass
class PendingAttach:
    opener: Opener
    future: asyncio.Future[Output]


async def _no_output() -> Output:
    return
    yield


async def _ignore_missing(call: Awaitable[object]) -> None:
    with contextlib.suppress(errors.NotFound):
        await call


def image_defaults(image: images_pb2.Image) -> ImageDefaults:
    c = image.config
    return ImageDefaults(
        user=c.user,
        env=tuple(c.env),
        entrypoint=tuple(c.entrypoint),
        cmd=tuple(c.cmd),
        working_dir=c.working_dir,
        labels=dict(c.labels),
        exposed_ports=tuple(c.exposed_ports),
        volumes=tuple(c.volumes),
        stop_signal=c.stop_signal,
    )


def _exit_state(
    container: Container, status: runtime_pb2.ExitStatus, restarting: bool
) -> ContainerState:
    finished = (
        status.exited_at.ToDatetime(tzinfo=UTC)
        if status.HasField("exited_at")
        else datetime.now(UTC)
    )
    return ContainerState(
        status="restarting" if restarting else "exited",
        restarting=restarting,
        exit_code=status.exit_code,
        oom_killed=status.oom_killed,
        error=status.error,
        started_at=container.state.started_at,
        finished_at=finished,
    )


def _normalise_host(host: HostConfig, config: DaemonConfig) -> HostConfig:
    host.network_mode = host.network_mode or DEFAULT_NETWORK_MODE
    if host.network_mode == "default":
        host.network_mode = DEFAULT_NETWORK_MODE
    host.log_config.type = host.log_config.type or "json-file"
    if host.log_config.type not in ("json-file", "none"):
        raise errors.InvalidArgument(f'logging driver "{host.log_config.type}" is not supported')
    if host.log_config.type == "json-file":
        host.log_config.config = dict(config.log_opts) | host.log_config.config
        _check_log_opts(host.log_config.config)
    host.runtime = host.runtime or config.default_runtime
    if host.runtime not in available_runtimes(config):
        raise errors.InvalidArgument(f"unknown or invalid runtime name: {host.runtime}")
    return host


def available_runtimes(config: DaemonConfig) -> list[str]:
    """The built-in runtime, the configured ones, and runc/crun where installed."""
    found = [name for name in ("runc", "crun") if shutil.which(name)]
    return ["dockyard", *config.runtimes, *(n for n in found if n not in config.runtimes)]


def _check_log_opts(opts: dict[str, str]) -> None:
    unknown = sorted(set(opts) - {"max-size", "max-file"})
    if unknown:
        raise errors.InvalidArgument(f"unknown log opt '{unknown[0]}' for json-file log driver")
    if "max-size" in opts:
        parse_size(opts["max-size"])
    if not opts.get("max-file", "1").isdigit() or int(opts.get("max-file", "1")) < 1:
        raise errors.InvalidArgument(f"invalid value for max-file: {opts.get('max-file')}")


def _graph_driver(mounts: object) -> dict[str, str]:
    data: dict[str, str] = {}
    for mount in mounts:  # type: ignore[attr-defined]
        for option in mount.options:
            key, _, value = option.partition("=")
            if key in ("lowerdir", "upperdir", "workdir"):
                data[
                    {"lowerdir": "LowerDir", "upperdir": "UpperDir", "workdir": "WorkDir"}[key]
                ] = value
        if mount.type == "bind":
            data["UpperDir"] = mount.source
    return data


def _record_network_files(container: Container, sandbox: network_pb2.Sandbox) -> None:
    for attr, field in (
        ("hosts_path", "hosts_path"),
        ("resolv_conf_path", "resolv_conf_path"),
        ("hostname_path", "hostname_path"),
    ):
        setattr(container, attr, getattr(sandbox, field, ""))


def parse_port(binding: PortBinding) -> tuple[int, str]:
    """(port, protocol) of a binding's "80/tcp"; its host port checked too."""
    text, _, protocol = binding.container_port.partition("/")
    protocol = protocol or "tcp"
    if protocol not in ("tcp", "udp"):
        raise errors.InvalidArgument(
            f"invalid protocol {protocol!r} in port {binding.container_port}"
        )
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise errors.InvalidArgument(f"invalid container port {binding.container_port!r}")
    if binding.host_port and (
        not binding.host_port.isdigit() or not 0 <= int(binding.host_port) < 65536
    ):
        raise errors.InvalidArgument(f"invalid host port {binding.host_port!r}")
    return int(text), protocol


def published(host: HostConfig, exposed: list[str]) -> list[PortBinding]:
    """The bindings to publish: -p's, and with -P every exposed port not bound yet."""
    bindings = list(host.port_bindings)
    if host.publish_all_ports:
        bound = {_port_key(b.container_port) for b in bindings}
        bindings += [PortBinding(container_port=p) for p in exposed if _port_key(p) not in bound]
    return bindings


def _port_key(port: str) -> str:
    return port if "/" in port else f"{port}/tcp"


def _record_endpoints(container: Container, sandbox: network_pb2.Sandbox) -> None:
    """The addresses and ports the sandbox got, into the container's NetworkSettings."""
    by_name = {e.network_name: e for e in sandbox.endpoints}
    by_id = {e.network_id: e for e in sandbox.endpoints}
    for settings in container.network_settings.networks:
        got = by_name.get(settings.network) or by_id.get(settings.network)
        if got is None:
            got = next((e for i, e in by_id.items() if i.startswith(settings.network)), None)
        if got is not None:
            fill_endpoint(settings, got)
    container.network_settings.ports = [
        PortBinding(f"{p.container_port}/{p.protocol}", p.host_ip or "0.0.0.0", str(p.host_port))
        for p in sandbox.ports
    ]


def fill_endpoint(settings: EndpointSettings, got: network_pb2.Endpoint) -> None:
    """What the network service gave an endpoint, into the container's settings for it."""
    settings.network_id, settings.endpoint_id = got.network_id, got.endpoint_id
    settings.gateway, settings.ip_address = got.gateway, got.ip_address
    settings.ip_prefix_len, settings.mac_address = got.prefix_len, got.mac_address


def _clear_endpoints(container: Container) -> None:
    for settings in container.network_settings.networks:
        settings.endpoint_id = settings.gateway = settings.ip_address = settings.mac_address = ""
        settings.ip_prefix_len = 0
    container.network_settings.ports = []
