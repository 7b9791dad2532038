"""The engine's gRPC adapters: Containers, Images and System.

Every RPC is: convert the request, call the core (`lifecycle`, `runner`, `images`, `system`),
convert the reply. Errors are `dockyard.api.errors` classes, mapped by the interceptor.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from dockyard.api import errors
from dockyard.api.bootstrap import ServiceOptions
from dockyard.engine.v1 import engine_pb2, engine_pb2_grpc
from dockyard.images.v1 import images_pb2
from dockyard.services.engine import filters, logs, system
from dockyard.services.engine.backends import LONG_SECONDS, READY, Backends
from dockyard.services.engine.convert import from_proto, to_proto
from dockyard.services.engine.events import EventBus, EventFilter
from dockyard.services.engine.images import ImageRemoval
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import (
    ContainerConfig,
    EndpointSettings,
    HostConfig,
    Resources,
    RestartPolicy,
)
from dockyard.services.engine.runner import Runner
from dockyard.services.engine.running import Running
from google.protobuf import empty_pb2

Context = Any
EMPTY = empty_pb2.Empty()


class ContainersServicer(engine_pb2_grpc.ContainersServicer):
    def __init__(self, lifecycle: Lifecycle, runner: Runner, running: Running) -> None:
        self._life = lifecycle
        self._runner = runner
        self._running = running

    async def Pause(
        self, request: engine_pb2.ContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._running.pause(request.id)
        return EMPTY

    async def Unpause(
        self, request: engine_pb2.ContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._running.unpause(request.id)
        return EMPTY

    async def Top(self, request: engine_pb2.TopRequest, context: Context) -> engine_pb2.TopResponse:
        titles, rows = await self._running.top(request.id, request.ps_args)
        return engine_pb2.TopResponse(
            titles=titles, processes=[engine_pb2.TopProcess(values=r) for r in rows]
        )

    async def Stats(
        self, request: engine_pb2.StatsRequest, context: Context
    ) -> AsyncIterator[engine_pb2.ContainerStats]:
        async for stats in self._running.stats(request.id, request.stream):
            yield stats

    async def Update(
        self, request: engine_pb2.UpdateContainerRequest, context: Context
    ) -> engine_pb2.UpdateContainerResponse:
        policy = (
            from_proto(RestartPolicy, request.restart_policy)
            if request.HasField("restart_policy")
            else None
        )
        await self._running.update(request.id, from_proto(Resources, request.resources), policy)
        return engine_pb2.UpdateContainerResponse()

    async def Exec(
        self, request_iterator: AsyncIterator[engine_pb2.ExecInput], context: Context
    ) -> AsyncIterator[engine_pb2.ExecOutput]:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("options"):
            raise errors.InvalidArgument("the first exec message must carry the options")
        async for output in self._running.exec(first.options, request_iterator):
            yield output

    async def Create(
        self, request: engine_pb2.CreateContainerRequest, context: Context
    ) -> engine_pb2.CreateContainerResponse:
        config, host = _create_args(request)
        container = await self._life.create(request.name, config, host, _endpoints(request))
        return engine_pb2.CreateContainerResponse(id=container.id)

    async def Start(
        self, request: engine_pb2.StartContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.start(request.id)
        return EMPTY

    async def Stop(
        self, request: engine_pb2.StopContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        timeout = request.timeout if request.HasField("timeout") else None
        await self._life.stop(request.id, timeout, shutdown=request.shutdown)
        return EMPTY

    async def Kill(
        self, request: engine_pb2.KillContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.kill(request.id, request.signal)
        return EMPTY

    async def Remove(
        self, request: engine_pb2.RemoveContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.remove(request.id, request.force)
        return EMPTY

    async def List(
        self, request: engine_pb2.ListContainersRequest, context: Context
    ) -> engine_pb2.ListContainersResponse:
        match = filters.matcher(filters.parse(list(request.filters)), lambda _: set())
        found = [c for c in self._life.store.list() if (request.all or c.running) and match(c)]
        if request.limit > 0:
            found = found[: request.limit]
        return engine_pb2.ListContainersResponse(
            containers=[to_proto(c, engine_pb2.Container()) for c in found]
        )

    async def Inspect(
        self, request: engine_pb2.InspectContainerRequest, context: Context
    ) -> engine_pb2.Container:
        return to_proto(self._life.store.get(request.id), engine_pb2.Container())

    async def Wait(
        self, request: engine_pb2.WaitContainerRequest, context: Context
    ) -> engine_pb2.WaitContainerResponse:
        condition = request.condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise errors.InvalidArgument(f"invalid condition: {condition}")
        code = await self._life.wait(request.id, condition)
        return engine_pb2.WaitContainerResponse(status_code=code)

    async def Logs(
        self, request: engine_pb2.LogsRequest, context: Context
    ) -> AsyncIterator[engine_pb2.LogEntry]:
        container = self._life.store.get(request.id)
        query = _log_query(request)
        path = Path(container.log_path)
        if container.host_config.log_config.type == "none":
            raise errors.FailedPrecondition("configured logging driver does not support reading")
        if request.follow:
            entries = logs.follow(path, query, lambda: not self._still_running(container.id))
        else:
            entries = _aiter(logs.read(path, query))
        async for entry in entries:
            stamp = engine_pb2.LogEntry(stream=entry.stream, data=entry.data)
            stamp.time.FromNanoseconds(entry.time_ns)
            yield stamp

    def _still_running(self, container_id: str) -> bool:
        try:
            return self._life.store.get(container_id).running
        except errors.NotFound:
            return False

    async def Attach(
        self, request_iterator: AsyncIterator[engine_pb2.AttachInput], context: Context
    ) -> AsyncIterator[engine_pb2.AttachOutput]:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("options"):
            raise errors.InvalidArgument("the first attach message must carry the options")
        async for output in self._runner.attach(first.options, request_iterator):
            yield output

    async def Restart(
        self, request: engine_pb2.StopContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        timeout = request.timeout if request.HasField("timeout") else None
        await self._life.restart(request.id, timeout)
        return EMPTY

    async def Rename(
        self, request: engine_pb2.RenameContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.rename(request.id, request.name)
        return EMPTY

    async def Run(
        self, request_iterator: AsyncIterator[engine_pb2.RunInput], context: Context
    ) -> AsyncIterator[engine_pb2.RunOutput]:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("options"):
            raise errors.InvalidArgument("the first run message must carry the options")
        options = first.options
        config, host = _create_args(options.create)
        async for output in self._runner.run(
            options.create.name, config, host, options, request_iterator
        ):
            yield output


class ImagesServicer(engine_pb2_grpc.ImagesServicer):
    def __init__(self, backends: Backends, removal: ImageRemoval, events: EventBus) -> None:
        self._b = backends
        self._removal = removal
        self._events = events

    async def Pull(
        self, request: images_pb2.PullRequest, context: Context
    ) -> AsyncIterator[images_pb2.PullProgress]:
        stream = self._b.images.Pull(request, timeout=LONG_SECONDS, wait_for_ready=True)
        async for progress in stream:
            if progress.HasField("image"):
                self._events.publish("image", "pull", request.ref, name=request.ref)
            yield progress

    async def Import(
        self, request_iterator: AsyncIterator[images_pb2.ImportRequest], context: Context
    ) -> images_pb2.Image:
        image = await self._b.images.Import(
            request_iterator, timeout=LONG_SECONDS, wait_for_ready=True
        )
        self._events.publish("image", "import", image.id)
        return image

    async def Inspect(
        self, request: images_pb2.GetImageRequest, context: Context
    ) -> images_pb2.Image:
        return await self._b.images.Get(request, **READY)

    async def List(
        self, request: images_pb2.ListImagesRequest, context: Context
    ) -> images_pb2.ListImagesResponse:
        return await self._b.images.List(request, **READY)

    async def Tag(self, request: images_pb2.TagImageRequest, context: Context) -> images_pb2.Image:
        image = await self._b.images.Tag(request, **READY)
        self._events.publish("image", "tag", image.id, name=request.target)
        return image

    async def Remove(
        self, request: images_pb2.RemoveImageRequest, context: Context
    ) -> images_pb2.RemoveImageResponse:
        reply = await self._removal.remove(request)
        for name in reply.untagged:
            self._events.publish("image", "untag", name, name=name)
        for deleted in reply.deleted:
            self._events.publish("image", "delete", deleted)
        return reply


class SystemServicer(engine_pb2_grpc.SystemServicer):
    def __init__(self, options: ServiceOptions, lifecycle: Lifecycle, backends: Backends) -> None:
        self._options = options
        self._life = lifecycle
        self._b = backends

    async def Version(
        self, request: empty_pb2.Empty, context: Context
    ) -> engine_pb2.VersionResponse:
        return system.version()

    async def Info(self, request: empty_pb2.Empty, context: Context) -> engine_pb2.InfoResponse:
        return await system.info(self._options, self._life.store, self._b)

    async def Events(
        self, request: engine_pb2.EventsRequest, context: Context
    ) -> AsyncIterator[engine_pb2.Event]:
        wanted = EventFilter.parse(
            request.since.ToNanoseconds() if request.HasField("since") else time.time_ns(),
            request.until.ToNanoseconds() if request.HasField("until") else 0,
            list(request.filters),
        )
        async for event in self._life.events.subscribe(wanted):
            message = engine_pb2.Event(
                type=event.type,
                action=event.action,
                actor_id=event.actor_id,
                attributes=event.attributes,
                scope="local",
            )
            message.time.FromNanoseconds(event.time_ns)
            yield message


def _create_args(request: engine_pb2.CreateContainerRequest) -> tuple[ContainerConfig, HostConfig]:
    return from_proto(ContainerConfig, request.config), from_proto(HostConfig, request.host_config)


def _endpoints(request: engine_pb2.CreateContainerRequest) -> list[EndpointSettings]:
    return [from_proto(EndpointSettings, e) for e in request.networks]


def _log_query(request: engine_pb2.LogsRequest) -> logs.Query:
    tail = request.tail.strip() or "all"
    if tail != "all" and not tail.lstrip("-").isdigit():
        raise errors.InvalidArgument(f"invalid value for tail: {request.tail}")
    count = None if tail == "all" or int(tail) < 0 else int(tail)
    wants_any = request.stdout or request.stderr
    return logs.Query(
        stdout=request.stdout or not wants_any,
        stderr=request.stderr or not wants_any,
        since_ns=request.since.ToNanoseconds() if request.HasField("since") else 0,
        until_ns=request.until.ToNanoseconds() if request.HasField("until") else 0,
        tail=count,
    )


async def _aiter(items: list[logs.Entry]) -> AsyncIterator[logs.Entry]:
    for item in items:
        yield item
