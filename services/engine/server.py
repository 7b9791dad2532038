"""The engine's gRPC adapters: Containers, Images, Networks, Volumes and System.

Every RPC is: convert the request, call the core, convert the reply. No logic lives here: the
core is `lifecycle` (state changes), `runner` (run, attach), `running` (pause ... exec),
`reading` (ps, inspect, logs), `copying` (cp), `images`, `networks`, `volumes` and `system`. Errors are
`dockyard.api.errors` classes, mapped to status codes by the interceptor.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from dockyard.api import errors
from dockyard.api.bootstrap import ServiceOptions
from dockyard.engine.v1 import engine_pb2, engine_pb2_grpc
from dockyard.images.v1 import images_pb2
from dockyard.network.v1 import network_pb2
from dockyard.services.engine import limits, logs, reading, server_build, system
from dockyard.services.engine.build.commits import Commits
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.images import ImportHeader, Platform, RegistryAuth
from dockyard.services.engine.clients.networks import NetworkSpec
from dockyard.services.engine.clients.volumes import PathStat, PutOptions, VolumeSpec
from dockyard.services.engine.convert import from_proto, to_proto
from dockyard.services.engine.copying import Copier
from dockyard.services.engine.events import EventBus, EventFilter
from dockyard.services.engine.exporting import Exporter
from dockyard.services.engine.images import Images
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import (
    Container,
    ContainerConfig,
    EndpointSettings,
    HostConfig,
    Resources,
    RestartPolicy,
)
from dockyard.services.engine.networks import Networks
from dockyard.services.engine.reading import Reader
from dockyard.services.engine.runner import Runner
from dockyard.services.engine.running import Running
from dockyard.services.engine.sizes import Size
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.streams import (
    Attached,
    AttachOptions,
    CloseStdin,
    Created,
    ExecCreated,
    ExecOptions,
    Exited,
    Input,
    Output,
    Resize,
    RunOptions,
    Stdin,
)
from dockyard.services.engine.volumes import Volumes
from dockyard.volumes.v1 import volumes_pb2
from google.protobuf import empty_pb2

Context = Any
EMPTY = empty_pb2.Empty()
StdioInput = engine_pb2.RunInput | engine_pb2.AttachInput | engine_pb2.ExecInput


class ContainersServicer(engine_pb2_grpc.ContainersServicer):
    def __init__(
        self,
        lifecycle: Lifecycle,
        reader: Reader,
        runner: Runner,
        running: Running,
        copier: Copier,
        commits: Commits | None = None,
        exporter: Exporter | None = None,
    ) -> None:
        self._life = lifecycle
        self._reader = reader
        self._listed = _Listed()
        self._runner = runner
        self._running = running
        self._copier = copier
        self._commits = commits
        self._exporter = exporter

    async def Create(
        self, request: engine_pb2.CreateContainerRequest, context: Context
    ) -> engine_pb2.CreateContainerResponse:
        config, host, endpoints = _create_args(request)
        warnings = limits.discarded(host.resources)
        container = await self._life.creator.create(request.name, config, host, endpoints)
        return engine_pb2.CreateContainerResponse(id=container.id, warnings=warnings)

    async def Start(
        self, request: engine_pb2.StartContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.start(request.id)
        return EMPTY

    async def Stop(
        self, request: engine_pb2.StopContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        timeout = request.timeout if request.HasField("timeout") else None
        await self._life.stop(request.id, timeout, request.shutdown, request.signal)
        return EMPTY

    async def Restart(
        self, request: engine_pb2.StopContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        timeout = request.timeout if request.HasField("timeout") else None
        await self._life.restart(request.id, timeout, request.signal)
        return EMPTY

    async def Kill(
        self, request: engine_pb2.KillContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.kill(request.id, request.signal)
        return EMPTY

    async def Remove(
        self, request: engine_pb2.RemoveContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        if request.link:
            await self._life.remove_link(request.id)
        else:
            await self._life.remove(request.id, request.force, request.volumes)
        return EMPTY

    async def Rename(
        self, request: engine_pb2.RenameContainerRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._life.rename(request.id, request.name)
        return EMPTY

    async def Wait(
        self, request: engine_pb2.WaitContainerRequest, context: Context
    ) -> engine_pb2.WaitContainerResponse:
        condition = request.condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise errors.InvalidArgument(f"invalid condition: {condition}")
        code = await self._life.wait(request.id, condition)
        return engine_pb2.WaitContainerResponse(status_code=code)

    async def List(
        self, request: engine_pb2.ListContainersRequest, context: Context
    ) -> engine_pb2.ListContainersResponse:
        found = self._reader.list(request.all, list(request.filters), request.limit)
        if request.size:
            sizes = await self._reader.sizes(found)
            messages = [_container(c, sizes.get(c.id)) for c in found]
        else:
            every = request.all and not request.filters and not request.limit
            messages = self._listed.messages(found, every)
        names = self._reader.link_names()
        for message in messages:  # set anew each time: the messages are kept, the links change
            message.ClearField("link_names")
            message.link_names.extend(names.get(message.name, []))
        return engine_pb2.ListContainersResponse(containers=messages)

    async def Inspect(
        self, request: engine_pb2.InspectContainerRequest, context: Context
    ) -> engine_pb2.Container:
        container = self._reader.inspect(request.id)
        sizes = await self._reader.sizes([container]) if request.size else {}
        return _container(container, sizes.get(container.id))

    async def Logs(
        self, request: engine_pb2.LogsRequest, context: Context
    ) -> AsyncIterator[engine_pb2.LogEntry]:
        entries = self._reader.logs(
            request.id, _log_query(request), request.follow, request.details
        )
        async for entry in entries:
            message = engine_pb2.LogEntry(stream=entry.stream, data=entry.data)
            message.time.FromNanoseconds(entry.time_ns)
            yield message

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
            yield to_proto(stats, engine_pb2.ContainerStats())

    async def Update(
        self, request: engine_pb2.UpdateContainerRequest, context: Context
    ) -> engine_pb2.UpdateContainerResponse:
        policy = (
            from_proto(RestartPolicy, request.restart_policy)
            if request.HasField("restart_policy")
            else None
        )
        resources = from_proto(Resources, request.resources)
        warnings = limits.discarded(resources)
        await self._running.update(request.id, resources, policy)
        return engine_pb2.UpdateContainerResponse(warnings=warnings)

    async def Exec(
        self, request_iterator: AsyncIterator[engine_pb2.ExecInput], context: Context
    ) -> AsyncIterator[engine_pb2.ExecOutput]:
        first = await _first(request_iterator, "exec")
        options = from_proto(ExecOptions, first.options)
        async for event in self._running.exec(options, _inputs(request_iterator)):
            if isinstance(event, ExecCreated):
                yield engine_pb2.ExecOutput(exec_id=event.exec_id)
            elif isinstance(event, Exited):
                yield engine_pb2.ExecOutput(exited=engine_pb2.Exited(status_code=event.status_code))
            else:
                yield _exec_output(event)

    async def StatPath(
        self, request: engine_pb2.ContainerPathRequest, context: Context
    ) -> volumes_pb2.PathStat:
        return to_proto(await self._copier.stat(request.id, request.path), volumes_pb2.PathStat())

    async def GetArchive(
        self, request: engine_pb2.ContainerPathRequest, context: Context
    ) -> AsyncIterator[volumes_pb2.ArchiveOutput]:
        async for item in self._copier.get_archive(request.id, request.path):
            if isinstance(item, PathStat):
                yield volumes_pb2.ArchiveOutput(stat=to_proto(item, volumes_pb2.PathStat()))
            else:
                yield volumes_pb2.ArchiveOutput(data=item)

    async def PutArchive(
        self, request_iterator: AsyncIterator[engine_pb2.ContainerArchiveInput], context: Context
    ) -> empty_pb2.Empty:
        first = await _first(request_iterator, "archive")
        options = from_proto(PutOptions, first.options)
        try:
            await self._copier.put_archive(
                first.options.id, first.options.path, options, _archive_chunks(request_iterator)
            )
        except errors.DockyardError:
            await _drain(request_iterator)
            raise
        return EMPTY

    async def Export(
        self, request: engine_pb2.ContainerRequest, context: Context
    ) -> AsyncIterator[images_pb2.BlobChunk]:
        if self._exporter is None:
            raise errors.Unimplemented("this engine does not export")
        async for piece in self._exporter.export(request.id):
            yield images_pb2.BlobChunk(data=piece)

    async def Changes(
        self, request: engine_pb2.ContainerRequest, context: Context
    ) -> engine_pb2.ChangesResponse:
        if self._commits is None:
            raise errors.Unimplemented("this engine has no builder")
        return await server_build.changes(self._commits, request)

    async def Attach(
        self, request_iterator: AsyncIterator[engine_pb2.AttachInput], context: Context
    ) -> AsyncIterator[engine_pb2.AttachOutput]:
        first = await _first(request_iterator, "attach")
        options = from_proto(AttachOptions, first.options)
        async for chunk in self._runner.attach(options, _inputs(request_iterator)):
            if isinstance(chunk, Attached):
                yield engine_pb2.AttachOutput(attached=True)
            else:
                yield _attach_output(chunk)

    async def Run(
        self, request_iterator: AsyncIterator[engine_pb2.RunInput], context: Context
    ) -> AsyncIterator[engine_pb2.RunOutput]:
        first = await _first(request_iterator, "run")
        options = _run_options(first.options)
        for warning in limits.discarded(options.host_config.resources):
            yield engine_pb2.RunOutput(warning=warning)
        async for event in self._runner.run(options, _inputs(request_iterator)):
            if isinstance(event, Created):
                yield engine_pb2.RunOutput(container_id=event.container_id)
            elif isinstance(event, Output):
                yield _run_output(event)
            elif isinstance(event, Exited):
                yield engine_pb2.RunOutput(exited=engine_pb2.Exited(status_code=event.status_code))
            else:
                yield engine_pb2.RunOutput(pull=to_proto(event, images_pb2.PullProgress()))


class ImagesServicer(engine_pb2_grpc.ImagesServicer):
    def __init__(self, images: Images) -> None:
        self._images = images

    async def Pull(
        self, request: images_pb2.PullRequest, context: Context
    ) -> AsyncIterator[images_pb2.PullProgress]:
        auth = from_proto(RegistryAuth, request.auth)
        platform = from_proto(Platform, request.platform) if request.HasField("platform") else None
        async for progress in self._images.pull(request.ref, auth, platform, request.all_tags):
            yield to_proto(progress, images_pb2.PullProgress())

    async def Save(
        self, request: images_pb2.SaveRequest, context: Context
    ) -> AsyncIterator[images_pb2.BlobChunk]:
        async for piece in self._images.save(list(request.refs)):
            yield images_pb2.BlobChunk(data=piece)

    async def Load(
        self, request_iterator: AsyncIterator[images_pb2.LoadRequest], context: Context
    ) -> AsyncIterator[images_pb2.PullProgress]:
        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                yield message.chunk

        async for progress in self._images.load(chunks()):
            yield to_proto(progress, images_pb2.PullProgress())

    async def Prune(
        self, request: images_pb2.PruneImagesRequest, context: Context
    ) -> images_pb2.PruneImagesResponse:
        pruned = await self._images.prune(request.all, list(request.filters))
        return images_pb2.PruneImagesResponse(
            untagged=pruned.untagged, deleted=pruned.deleted, space_reclaimed=pruned.reclaimed
        )

    async def Login(
        self, request: images_pb2.LoginRequest, context: Context
    ) -> images_pb2.LoginResponse:
        auth = from_proto(RegistryAuth, request.auth)
        status = await self._images.login(request.server, auth)
        return images_pb2.LoginResponse(status=status)

    async def Push(
        self, request: images_pb2.PushRequest, context: Context
    ) -> AsyncIterator[images_pb2.PullProgress]:
        auth = from_proto(RegistryAuth, request.auth)
        async for progress in self._images.push(request.ref, auth):
            yield to_proto(progress, images_pb2.PullProgress())

    async def Import(
        self, request_iterator: AsyncIterator[images_pb2.ImportRequest], context: Context
    ) -> images_pb2.Image:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("header"):
            raise errors.InvalidArgument("the first import message must carry the header")
        header = from_proto(ImportHeader, first.header)
        try:
            image = await self._images.import_image(header, _chunks(request_iterator))
        except errors.DockyardError:
            await _drain(request_iterator)
            raise
        return to_proto(image, images_pb2.Image())

    async def Inspect(
        self, request: images_pb2.GetImageRequest, context: Context
    ) -> images_pb2.Image:
        return to_proto(await self._images.get(request.ref), images_pb2.Image())

    async def List(
        self, request: images_pb2.ListImagesRequest, context: Context
    ) -> images_pb2.ListImagesResponse:
        found = await self._images.list_images(list(request.filters), request.all)
        return images_pb2.ListImagesResponse(
            images=[to_proto(i, images_pb2.Image()) for i in found]
        )

    async def Tag(self, request: images_pb2.TagImageRequest, context: Context) -> images_pb2.Image:
        return to_proto(await self._images.tag(request.source, request.target), images_pb2.Image())

    async def Remove(
        self, request: images_pb2.RemoveImageRequest, context: Context
    ) -> images_pb2.RemoveImageResponse:
        removal = await self._images.remove(request.ref, request.force, not request.no_prune)
        return to_proto(removal, images_pb2.RemoveImageResponse())

    async def History(
        self, request: images_pb2.GetImageRequest, context: Context
    ) -> engine_pb2.HistoryResponse:
        entries = await self._images.history(request.ref)
        return engine_pb2.HistoryResponse(
            entries=[to_proto(e, engine_pb2.HistoryEntry()) for e in entries]
        )


class NetworksServicer(engine_pb2_grpc.NetworksServicer):
    def __init__(self, networks: Networks) -> None:
        self._networks = networks

    async def Create(
        self, request: network_pb2.CreateNetworkRequest, context: Context
    ) -> network_pb2.Network:
        network = await self._networks.create(from_proto(NetworkSpec, request))
        return to_proto(network, network_pb2.Network())

    async def Remove(
        self, request: network_pb2.NetworkRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._networks.remove(request.id)
        return EMPTY

    async def Inspect(
        self, request: network_pb2.NetworkRequest, context: Context
    ) -> network_pb2.Network:
        return to_proto(await self._networks.get(request.id), network_pb2.Network())

    async def List(
        self, request: network_pb2.ListNetworksRequest, context: Context
    ) -> network_pb2.ListNetworksResponse:
        found = await self._networks.list_networks()
        return network_pb2.ListNetworksResponse(
            networks=[to_proto(n, network_pb2.Network()) for n in found]
        )

    async def Prune(
        self, request: network_pb2.PruneNetworksRequest, context: Context
    ) -> network_pb2.PruneNetworksResponse:
        return network_pb2.PruneNetworksResponse(removed=await self._networks.prune())

    async def Connect(
        self, request: engine_pb2.NetworkConnectRequest, context: Context
    ) -> empty_pb2.Empty:
        endpoint = EndpointSettings(
            network=request.network,
            aliases=list(request.aliases),
            ipv4_address=request.ipv4_address,
            links=list(request.links),
            link_local_ips=list(request.link_local_ips),
            ipv6_address=request.ipv6_address,
            driver_opts=dict(request.driver_opts),
        )
        await self._networks.connect(request.network, request.container, endpoint)
        return EMPTY

    async def Disconnect(
        self, request: engine_pb2.NetworkDisconnectRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._networks.disconnect(request.network, request.container, request.force)
        return EMPTY


class VolumesServicer(engine_pb2_grpc.VolumesServicer):
    def __init__(self, volumes: Volumes) -> None:
        self._volumes = volumes

    async def Create(
        self, request: volumes_pb2.CreateVolumeRequest, context: Context
    ) -> volumes_pb2.Volume:
        volume = await self._volumes.create(from_proto(VolumeSpec, request))
        return to_proto(volume, volumes_pb2.Volume())

    async def Inspect(
        self, request: volumes_pb2.GetVolumeRequest, context: Context
    ) -> volumes_pb2.Volume:
        return to_proto(await self._volumes.get(request.name), volumes_pb2.Volume())

    async def List(
        self, request: engine_pb2.ListVolumesRequest, context: Context
    ) -> engine_pb2.ListVolumesResponse:
        found = await self._volumes.list_volumes(list(request.filters), request.usage)
        return engine_pb2.ListVolumesResponse(
            volumes=[to_proto(v, volumes_pb2.Volume()) for v in found]
        )

    async def Remove(
        self, request: engine_pb2.RemoveVolumeRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._volumes.remove(request.name, request.force)
        return EMPTY

    async def Prune(
        self, request: engine_pb2.PruneVolumesRequest, context: Context
    ) -> engine_pb2.PruneVolumesResponse:
        pruned = await self._volumes.prune(request.all, list(request.filters))
        return engine_pb2.PruneVolumesResponse(
            removed=pruned.removed, space_reclaimed=pruned.space_reclaimed
        )


class SystemServicer(engine_pb2_grpc.SystemServicer):
    def __init__(
        self, options: ServiceOptions, store: ContainerStore, clients: Clients, events: EventBus
    ) -> None:
        self._options = options
        self._store = store
        self._clients = clients
        self._events = events

    async def Version(
        self, request: empty_pb2.Empty, context: Context
    ) -> engine_pb2.VersionResponse:
        return to_proto(system.version(), engine_pb2.VersionResponse())

    async def Info(self, request: empty_pb2.Empty, context: Context) -> engine_pb2.InfoResponse:
        options = self._options
        info = await system.info(options.paths, options.config, self._store, self._clients)
        return to_proto(info, engine_pb2.InfoResponse())

    async def Events(
        self, request: engine_pb2.EventsRequest, context: Context
    ) -> AsyncIterator[engine_pb2.Event]:
        wanted = EventFilter.parse(
            request.since.ToNanoseconds() if request.HasField("since") else time.time_ns(),
            request.until.ToNanoseconds() if request.HasField("until") else 0,
            list(request.filters),
        )
        async for event in self._events.subscribe(wanted):
            message = engine_pb2.Event(
                type=event.type,
                action=event.action,
                actor_id=event.actor_id,
                attributes=event.attributes,
                scope="local",
            )
            message.time.FromNanoseconds(event.time_ns)
            yield message


class _Listed:
    """The messages of the containers `ps -a` listed last, reused while the reader hands out
    the same (unchanged, shared) container again: converting each was, with parsing it, what
    made `ps -a` cost more with every container. A listing of every container replaces them;
    the others only read them."""

    def __init__(self) -> None:
        self._messages: dict[str, tuple[Container, engine_pb2.Container]] = {}

    def messages(self, found: list[Container], every: bool) -> list[engine_pb2.Container]:
        made: dict[str, tuple[Container, engine_pb2.Container]] = {}
        for c in found:
            kept = self._messages.get(c.id)
            made[c.id] = kept if kept is not None and kept[0] is c else (c, _container(c, None))
        if every:
            self._messages = made
        return [message for _, message in made.values()]


def _container(c: Container, size: Size | None) -> engine_pb2.Container:
    message = to_proto(c, engine_pb2.Container())
    if size is not None:
        message.size_rw, message.size_root_fs = size.rw, size.root_fs
    return message


def _create_args(
    request: engine_pb2.CreateContainerRequest,
) -> tuple[ContainerConfig, HostConfig, list[EndpointSettings]]:
    return (
        from_proto(ContainerConfig, request.config),
        from_proto(HostConfig, request.host_config),
        [from_proto(EndpointSettings, e) for e in request.networks],
    )


def _run_options(options: engine_pb2.RunOptions) -> RunOptions:
    config, host, endpoints = _create_args(options.create)
    return RunOptions(
        config=config,
        host_config=host,
        name=options.create.name,
        networks=endpoints,
        detach=options.detach,
        auth=from_proto(RegistryAuth, options.auth),
        size=Resize(options.size.width, options.size.height) if options.HasField("size") else None,
        platform=from_proto(Platform, options.platform) if options.HasField("platform") else None,
        pull=options.pull or "missing",
    )


async def _first(requests: AsyncIterator[Any], verb: str) -> Any:
    """The first message of a stream, which must carry the options."""
    first = await anext(requests, None)
    if first is None or not first.HasField("options"):
        raise errors.InvalidArgument(f"the first {verb} message must carry the options")
    return first


async def _inputs(requests: AsyncIterator[StdioInput]) -> AsyncIterator[Input]:
    async for item in requests:
        kind = item.WhichOneof("msg")
        if kind == "stdin":
            yield Stdin(item.stdin)
        elif kind == "resize":
            yield Resize(item.resize.width, item.resize.height)
        elif kind == "close_stdin":
            yield CloseStdin()


async def _archive_chunks(
    requests: AsyncIterator[engine_pb2.ContainerArchiveInput],
) -> AsyncIterator[bytes]:
    async for item in requests:
        if item.HasField("data"):
            yield item.data


async def _chunks(requests: AsyncIterator[images_pb2.ImportRequest]) -> AsyncIterator[bytes]:
    async for item in requests:
        if item.HasField("chunk"):
            yield item.chunk


async def _drain(requests: AsyncIterator[object]) -> None:
    """Read what the client still sends before answering with an error: a call that ends while
    its client is still writing (an import refused at its header) reached that client, now
    and then, as "Internal error from Core" instead of the error (1 in 15 here). Not when a
    consumer of the stream that the error cancels is still reading it ("asynchronous
    generator is already running"): then the error goes as it is."""
    with contextlib.suppress(RuntimeError):
        async for _ in requests:
            pass


def _exec_output(chunk: Output) -> engine_pb2.ExecOutput:
    if chunk.stream == "stderr":
        return engine_pb2.ExecOutput(stderr=chunk.data)
    return engine_pb2.ExecOutput(stdout=chunk.data)


def _attach_output(chunk: Output) -> engine_pb2.AttachOutput:
    if chunk.stream == "stderr":
        return engine_pb2.AttachOutput(stderr=chunk.data)
    return engine_pb2.AttachOutput(stdout=chunk.data)


def _run_output(chunk: Output) -> engine_pb2.RunOutput:
    if chunk.stream == "stderr":
        return engine_pb2.RunOutput(stderr=chunk.data)
    return engine_pb2.RunOutput(stdout=chunk.data)


def _log_query(request: engine_pb2.LogsRequest) -> logs.Query:
    wants_any = request.stdout or request.stderr
    return logs.Query(
        stdout=request.stdout or not wants_any,
        stderr=request.stderr or not wants_any,
        since_ns=request.since.ToNanoseconds() if request.HasField("since") else 0,
        until_ns=request.until.ToNanoseconds() if request.HasField("until") else 0,
        tail=reading.parse_tail(request.tail),
    )
