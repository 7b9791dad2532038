"""`dockyard-runtime` / `python -m dockyard.services.runtime`: the runtime process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.runtime.v1 import runtime_pb2_grpc
from dockyard.services.runtime.server import TasksServicer
from dockyard.services.runtime.tasks import Tasks


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    tasks = Tasks(options.paths)
    await tasks.restore()
    await tasks.start_zygote()
    runtime_pb2_grpc.add_TasksServicer_to_server(TasksServicer(tasks, options.config), server)
    try:
        yield
    finally:
        await tasks.close()


def main() -> None:
    bootstrap.run("runtime", setup)


if __name__ == "__main__":
    main()
