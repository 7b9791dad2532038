"""The engine's side of image commands: what only the engine knows is which containers use an
image, so `rmi` of an image a container was made from is refused unless forced (docker's
conflict messages); everything else is the images service's work, passed through.
"""

from __future__ import annotations

from dockyard.api import errors
from dockyard.images.v1 import images_pb2
from dockyard.services.engine.backends import READY, Backends
from dockyard.services.engine.store import ContainerStore


class ImageRemoval:
    def __init__(self, store: ContainerStore, backends: Backends) -> None:
        self._store = store
        self._b = backends

    async def remove(
        self, request: images_pb2.RemoveImageRequest
    ) -> images_pb2.RemoveImageResponse:
        image = await self._b.images.Get(images_pb2.GetImageRequest(ref=request.ref), **READY)
        if _deletes(request.ref, image):
            self._check_unused(request, image)
        return await self._b.images.Remove(request, **READY)

    def _check_unused(
        self, request: images_pb2.RemoveImageRequest, image: images_pb2.Image
    ) -> None:
        users = [c for c in self._store.list() if c.image == image.id]
        if not users:
            return
        short = image.id.removeprefix("sha256:")[:12]
        running = [c for c in users if c.running]
        if running:
            raise errors.FailedPrecondition(
                f"conflict: unable to delete {short} (cannot be forced) - image is being used by "
                f"running container {running[0].short_id}"
            )
        if not request.force:
            raise errors.FailedPrecondition(
                f'conflict: unable to remove repository reference "{request.ref}" (must force) - '
                f"container {users[0].short_id} is using its referenced image {short}"
            )


def _deletes(ref: str, image: images_pb2.Image) -> bool:
    """Whether removing `ref` deletes the image (its last name, or its ID) or only untags it."""
    by_id = image.id.removeprefix("sha256:").startswith(ref.removeprefix("sha256:"))
    return by_id or len(image.repo_tags) <= 1
