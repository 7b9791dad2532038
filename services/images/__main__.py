"""`dockyard-images` / `python -m dockyard.services.images`: the images process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import grpc
from dockyard.api import bootstrap
from dockyard.api.bootstrap import ServiceOptions
from dockyard.api.errors import DockyardError
from dockyard.images.v1 import images_pb2_grpc
from dockyard.services.images.content import ContentStore
from dockyard.services.images.images import Images
from dockyard.services.images.imagestore import ImageStore
from dockyard.services.images.leases import Leases
from dockyard.services.images.registry import Registries
from dockyard.services.images.server import ImagesServicer
from dockyard.services.images.snapshots_client import SnapshotsLayerStore

log = logging.getLogger("dockyard.images")


@asynccontextmanager
async def setup(server: grpc.aio.Server, options: ServiceOptions) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        content = ContentStore(options.data_dir)
        content.clean_ingests()
        store = ImageStore(options.data_dir / "metadata.db")
        stack.callback(store.close)
        for image in store.all():
            if image.problems:  # listed and removable all the same; say why it looks odd
                log.warning("image %s is damaged: %s", image.id, "; ".join(image.problems))
        channel = bootstrap.dial_service(options.paths, "snapshots")
        stack.push_async_callback(channel.close)
        leases = Leases(options.data_dir / "leases.db")
        stack.callback(leases.close)
        images = Images(content, store, SnapshotsLayerStore(channel), leases)
        registries = Registries(
            options.config.insecure_registries, options.config_path.parent / "certs.d"
        )
        stack.push_async_callback(registries.close)
        try:
            removed = await images.collect_orphans()
            log.info("garbage collected at start-up: %d layer snapshots", len(removed))
        except DockyardError as err:  # the snapshots service is not there yet: next time
            log.warning("no garbage collection at start-up: %s", err)
        images_pb2_grpc.add_ImagesServicer_to_server(ImagesServicer(images, registries), server)
        yield


def main() -> None:
    bootstrap.run("images", setup)


if __name__ == "__main__":
    main()
