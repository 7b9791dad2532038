"""`dockyard-runtime` / `python -m dockyard.services.runtime`: the runtime process.

Its shim zygote is forked first, before gRPC exists in the process (`zygote.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from dockyard.api import bootstrap, errors
from dockyard.api.bootstrap import ServiceOptions, Setup
from dockyard.runtime.v1 import runtime_pb2_grpc
from dockyard.services.runtime import zygote
from dockyard.services.runtime.server import TasksServicer
from dockyard.services.runtime.tasks import Tasks


def setup_with(forked_zygote: int | None) -> Setup:
    @asynccontextmanager
    async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
        tasks = Tasks(options.paths, forked_zygote)
        await tasks.restore()
        await tasks.start_zygote()
        runtime_pb2_grpc.add_TasksServicer_to_server(TasksServicer(tasks, options.config), server)
        try:
            yield
        finally:
            await tasks.close()

    return setup


def main() -> None:
    try:
        forked = zygote.prefork(bootstrap.parse_args("runtime").paths)
    except (errors.DockyardError, OSError):
        forked = None  # bootstrap says what is wrong with the arguments; else: exec'd later
    bootstrap.run("runtime", setup_with(forked))


if __name__ == "__main__":
    main()
