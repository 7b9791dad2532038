"""`dockyardd` / `python -m dockyard.services.engine`: the engine process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.engine.v1 import engine_pb2_grpc
from dockyard.services.engine.build.builder import Builder
from dockyard.services.engine.build.commits import Commits
from dockyard.services.engine.clients import proxy
from dockyard.services.engine.copying import Copier
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.exporting import Exporter
from dockyard.services.engine.images import Images
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.networks import Networks
from dockyard.services.engine.reading import Reader
from dockyard.services.engine.runner import Runner
from dockyard.services.engine.running import Running
from dockyard.services.engine.server import (
    ContainersServicer,
    ImagesServicer,
    NetworksServicer,
    SystemServicer,
    VolumesServicer,
)
from dockyard.services.engine.server_build import BuildsServicer
from dockyard.services.engine.sizes import Sizes
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.volumes import Volumes


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        store = ContainerStore(options.data_dir / "containers.db")
        stack.callback(store.close)
        clients = await proxy.connect(options.paths, stack)
        events = EventBus()
        lifecycle = Lifecycle(store, clients, options.data_dir, options.config, events)
        stack.push_async_callback(lifecycle.close)
        lifecycle.resume_watching()
        repair = asyncio.create_task(lifecycle.repair.run())
        stack.push_async_callback(_finish, repair)
        builder = Builder(
            clients,
            options.data_dir,
            options.config.cgroup_parent,
            runtime=options.config.default_runtime,
        )
        stack.callback(builder.close)
        cleanup = asyncio.create_task(builder.cleanup())
        stack.push_async_callback(_finish, cleanup)
        commits = Commits(store, clients)
        containers = ContainersServicer(
            lifecycle,
            Reader(store, Sizes(clients.snapshots, clients.images)),
            Runner(store, lifecycle, clients),
            Running(store, lifecycle.locks, clients.tasks, events),
            Copier(store, lifecycle.locks, lifecycle.mounter, clients.volumes),
            commits,
            Exporter(store, clients.snapshots, events),
        )
        engine_pb2_grpc.add_BuildsServicer_to_server(
            BuildsServicer(builder, commits, events), server
        )
        engine_pb2_grpc.add_ContainersServicer_to_server(containers, server)
        engine_pb2_grpc.add_ImagesServicer_to_server(
            ImagesServicer(Images(store, clients.images, events)), server
        )
        engine_pb2_grpc.add_NetworksServicer_to_server(
            NetworksServicer(Networks(store, lifecycle.locks, clients.network, events)), server
        )
        engine_pb2_grpc.add_VolumesServicer_to_server(
            VolumesServicer(Volumes(clients.volumes, lifecycle.mounter.users, events)), server
        )
        engine_pb2_grpc.add_SystemServicer_to_server(
            SystemServicer(options, store, clients, events), server
        )
        yield


async def _finish(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main() -> None:
    bootstrap.run("engine", setup)


if __name__ == "__main__":
    main()
