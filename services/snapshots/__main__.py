"""`dockyard-snapshots` / `python -m dockyard.services.snapshots`: the snapshots process.

It serves two gRPC services on one socket: the snapshotter (dockyard.snapshots.v1.Snapshots)
and volumes (dockyard.volumes.v1.Volumes), which reads the snapshotter's layers for a stopped
container's files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.services.snapshots.server import SnapshotsServicer
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter
from dockyard.services.snapshots.volumes import local
from dockyard.services.snapshots.volumes.mounts import HostMounts, VolumeMounts
from dockyard.services.snapshots.volumes.server import VolumesServicer
from dockyard.services.snapshots.volumes.store import VolumeStore
from dockyard.services.snapshots.volumes.transfer import Transfers
from dockyard.services.snapshots.volumes.views import Views
from dockyard.snapshots.v1 import snapshots_pb2_grpc
from dockyard.volumes.v1 import volumes_pb2_grpc


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    snapshotter = OverlaySnapshotter(options.data_dir)
    snapshotter.reconcile()
    volumes = VolumeStore(options.data_dir)
    volumes.reconcile()
    mounts = VolumeMounts(volumes.db, volumes.volumes_dir, HostMounts())
    mounts.reconcile({v.name for v in volumes.list() if v.options})

    def rootfs_mounts(key: str) -> list[local.Mount]:
        return [local.Mount(m.type, m.source, m.options) for m in snapshotter.mounts(key)]

    transfers = Transfers(Views(options.data_dir / "views", rootfs_mounts), volumes)
    servicer = SnapshotsServicer(snapshotter)
    snapshots_pb2_grpc.add_SnapshotsServicer_to_server(servicer, server)
    volumes_pb2_grpc.add_VolumesServicer_to_server(
        VolumesServicer(volumes, transfers, mounts), server
    )
    try:
        yield
    finally:
        await servicer.trash.close()
        volumes.close()
        snapshotter.close()


def main() -> None:
    bootstrap.run("snapshots", setup)


if __name__ == "__main__":
    main()
