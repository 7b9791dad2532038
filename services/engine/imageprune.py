"""`docker image prune`: remove the images no container uses — dangling ones (no tag), or all
with `all` — each as `rmi -f` of its ID would, and add up what went.

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
    used = {c.image for c in store.list()}
    pruned = Removal()
    for image in await images.list_images([]):
        if image.id in used or (image.repo_tags and not all) or not keep(image):
            continue
        try:
            removal = await images.remove(image.id, True)
        except (errors.NotFound, errors.FailedPrecondition):
            continue  # gone with another one, or in use since
        pruned.untagged += removal.untagged
        pruned.deleted += removal.deleted
        pruned.reclaimed += removal.reclaimed
    return pruned


def _matcher(filters: list[str]) -> Callable[[Image], bool]:
    check = prunefilters.matcher(filters)
    return lambda image: check(
        image.created.timestamp() if image.created is not None else None, image.config.labels
    )
