"""`dockyard-network` / `python -m dockyard.services.network`: the network process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.network.v1 import network_pb2_grpc
from dockyard.services.network import links, nsfs
from dockyard.services.network.networks import Manager
from dockyard.services.network.sandboxes import Namespaces, Sandboxes
from dockyard.services.network.server import NetworksServicer


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    namespaces = Namespaces(create=nsfs.create, remove=nsfs.remove, is_mounted=nsfs.is_mounted)
    manager = Manager(
        options.data_dir,
        lambda db: Sandboxes(db, options.data_dir, options.run_dir, namespaces),
        links,
        options.config,
    )
    servicer = NetworksServicer(manager)
    await servicer.start()
    network_pb2_grpc.add_NetworksServicer_to_server(servicer, server)
    try:
        yield
    finally:
        await servicer.stop()
        manager.close()


def main() -> None:
    bootstrap.run("network", setup)


if __name__ == "__main__":
    main()
