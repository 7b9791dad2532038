"""The engine's gRPC adapter for builds (dockyard.engine.v1.Builds: Build, Commit) and for a
container's changes (Containers.Changes): convert the request, call the builder, convert
what it streams back. No logic lives here (see `build/`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2, engine_pb2_grpc
from dockyard.services.engine.build import cacheprune
from dockyard.services.engine.build.builder import Builder
from dockyard.services.engine.build.commits import CommitOptions, Commits
from dockyard.services.engine.build.job import BuildOptions, Built, Event, Failed, RunOutput, Text
from dockyard.services.engine.clients.images import RegistryAuth
from dockyard.services.engine.convert import from_proto
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.model import HostConfig

Context = Any


class BuildsServicer(engine_pb2_grpc.BuildsServicer):
    def __init__(self, builder: Builder, commits: Commits, events: EventBus) -> None:
        self._builder = builder
        self._commits = commits
        self._events = events

    async def Build(
        self, request_iterator: AsyncIterator[engine_pb2.BuildInput], context: Context
    ) -> AsyncIterator[engine_pb2.BuildOutput]:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("options"):
            raise errors.InvalidArgument("the first Build message must be the options")

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                yield message.context

        build = self._builder.build(_options(first.options), chunks())
        async with contextlib.aclosing(build) as events:
            async for event in events:
                if isinstance(event, Built):
                    for name in event.names:
                        self._events.publish("image", "tag", event.image_id, name=name)
                yield _output(event)

    async def Commit(
        self, request: engine_pb2.CommitRequest, context: Context
    ) -> engine_pb2.CommitResponse:
        options = CommitOptions(
            container=request.container,
            reference=request.reference,
            comment=request.comment,
            author=request.author,
            changes=list(request.changes),
            pause=not request.no_pause,
        )
        image = await self._commits.commit(options)
        self._events.publish("container", "commit", request.container, imageID=image.id)
        return engine_pb2.CommitResponse(id=image.id)

    async def Prune(
        self, request: engine_pb2.PruneBuildCacheRequest, context: Context
    ) -> engine_pb2.PruneBuildCacheResponse:
        now = datetime.now(UTC)
        chosen = cacheprune.selection(list(request.filters), request.keep_storage, now)
        pruned = await self._builder.prune(chosen)
        return engine_pb2.PruneBuildCacheResponse(
            space_reclaimed=pruned.reclaimed, records=pruned.records
        )


async def changes(
    commits: Commits, request: engine_pb2.ContainerRequest
) -> engine_pb2.ChangesResponse:
    found = await commits.changes(request.id)
    return engine_pb2.ChangesResponse(
        changes=[engine_pb2.FileChange(kind=c.kind, path=c.path) for c in found]
    )


def _options(message: engine_pb2.BuildOptions) -> BuildOptions:
    return BuildOptions(
        tags=list(message.tags),
        dockerfile=message.dockerfile or "Dockerfile",
        build_args=dict(message.build_args),
        target=message.target,
        no_cache=message.no_cache,
        pull=message.pull,
        labels=dict(message.labels),
        network=message.network_mode,
        auths={k: from_proto(RegistryAuth, v) for k, v in message.auths.items()},
        host=from_proto(HostConfig, message.host_config),
        cache_from=list(message.cache_from),
        platform=message.platform,
        squash=message.squash,
    )


def _output(event: Event) -> engine_pb2.BuildOutput:
    if isinstance(event, Text):
        return engine_pb2.BuildOutput(stream=event.text)
    if isinstance(event, RunOutput):
        return engine_pb2.BuildOutput(output=event.data)
    if isinstance(event, Built):
        return engine_pb2.BuildOutput(image_id=event.image_id)
    assert isinstance(event, Failed)
    error = engine_pb2.BuildError(message=event.message, code=event.code, line=event.line)
    return engine_pb2.BuildOutput(error=error)
