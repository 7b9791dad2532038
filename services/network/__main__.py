"""`dockyard-network` / `python -m dockyard.services.network`: the network process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.network.v1 import network_pb2_grpc
from dockyard.services.network import kernel
from dockyard.services.network.manager import Manager
from dockyard.services.network.server import NetworksServicer
from dockyard.services.network.service import NetworkService


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    manager = Manager(options.data_dir, options.run_dir, options.config, kernel.production())
    service = NetworkService(manager)
    try:
        await service.start()
        network_pb2_grpc.add_NetworksServicer_to_server(NetworksServicer(service), server)
        yield
        await service.stop()
    finally:
        service.close()


def main() -> None:
    bootstrap.run("network", setup)


if __name__ == "__main__":
    main()
