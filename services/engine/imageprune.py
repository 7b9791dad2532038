"""`docker image prune`: remove the images no container uses — dangling ones (no tag, nothing
built on them), or all with `all` — each as `rmi -f` of its ID would (its untagged parents
with it), and add up what went. A tagged image others are built on is untagged only, as
docker's prune leaves it; intermediate images go with the image they lead to.

Filters: docker's `until=`, `label=`, `label!=` (dockyard.api.prunefilters).
"""

from __future__ import annotations

from collections.abc import Callable

from dockyard.api import errors, prunefilters
from dockyard.services.engine.clients.images import Image, ImageClient, Removal
from dockyard.services.engine.store import ContainerStore


async def prune(
    images: ImageClient, store: ContainerStore, all: bool, filters: list[str]
) -> Removal:
    keep = _matcher(filters)
    used = sorted({c.image for c in store.list()})
    pruned = Removal()
    for image in await images.list_images([]):
        if image.id in used or (image.repo_tags and not all) or not keep(image):
            continue
        try:
            removal = await _remove(images, image, used)
        except (errors.NotFound, errors.FailedPrecondition):
            continue  # gone with another one, or in use since
        pruned.untagged += removal.untagged
        pruned.deleted += removal.deleted
        pruned.reclaimed += removal.reclaimed
    return pruned


async def _remove(images: ImageClient, image: Image, used: list[str]) -> Removal:
    """`image` deleted by ID; or, when others are built on it, its names removed."""
    try:
        return await images.remove(image.id, True, used)
    except errors.FailedPrecondition:
        if not image.repo_tags:
            raise
    removal = Removal()
    for name in image.repo_tags:
        removal.untagged += (await images.remove(name, False, used)).untagged
    return removal


def _matcher(filters: list[str]) -> Callable[[Image], bool]:
    check = prunefilters.matcher(filters)
    return lambda image: check(
        image.created.timestamp() if image.created is not None else None, image.config.labels
    )
