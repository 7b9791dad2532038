"""`dockyard-snapshots` / `python -m dockyard.services.snapshots`: the snapshots process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.services.snapshots.server import SnapshotsServicer
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter
from dockyard.snapshots.v1 import snapshots_pb2_grpc


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    snapshotter = OverlaySnapshotter(options.data_dir)
    snapshotter.reconcile()
    snapshots_pb2_grpc.add_SnapshotsServicer_to_server(SnapshotsServicer(snapshotter), server)
    try:
        yield
    finally:
        snapshotter.close()


def main() -> None:
    bootstrap.run("snapshots", setup)


if __name__ == "__main__":
    main()
