"""The engine's side of image commands: the images service's work, with events, and what
only the engine knows: which containers use an image, so `rmi` of an image a container was
made from is refused unless forced (docker's conflict messages).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dockyard.api import errors
from dockyard.services.engine import imageprune
from dockyard.services.engine.build.history import HistoryEntry, image_history
from dockyard.services.engine.clients.images import (
    Image,
    ImageClient,
    ImportHeader,
    Platform,
    PullProgress,
    RegistryAuth,
    Removal,
)
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.importing import import_with_changes
from dockyard.services.engine.store import ContainerStore


class Images:
    def __init__(self, store: ContainerStore, images: ImageClient, events: EventBus) -> None:
        self._store = store
        self._images = images
        self._events = events

    async def pull(
        self, ref: str, auth: RegistryAuth, platform: Platform | None, all_tags: bool = False
    ) -> AsyncIterator[PullProgress]:
        async for progress in self._images.pull(ref, auth, platform, all_tags):
            if progress.image is not None:
                self._events.publish("image", "pull", ref, name=ref)
            yield progress

    async def save(self, refs: list[str]) -> AsyncIterator[bytes]:
        async for piece in self._images.save(refs):
            yield piece
        for ref in refs:
            self._events.publish("image", "save", ref, name=ref)

    async def load(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[PullProgress]:
        async for progress in self._images.load(chunks):
            if progress.image is not None:
                self._events.publish("image", "load", progress.image.id)
            yield progress

    async def login(self, server: str, auth: RegistryAuth) -> str:
        return await self._images.login(server, auth)

    async def push(self, ref: str, auth: RegistryAuth) -> AsyncIterator[PullProgress]:
        async for progress in self._images.push(ref, auth):
            if progress.image is not None:
                self._events.publish("image", "push", ref, name=ref)
            yield progress

    async def import_image(self, header: ImportHeader, chunks: AsyncIterator[bytes]) -> Image:
        if header.changes:
            image = await import_with_changes(self._images, header, chunks)
        else:
            image = await self._images.import_image(header, chunks)
        self._events.publish("image", "import", image.id)
        return image

    async def get(self, ref: str) -> Image:
        return await self._images.get(ref)

    async def list_images(self, filters: list[str], all: bool = False) -> list[Image]:
        return await self._images.list_images(filters, all)

    async def history(self, ref: str) -> list[HistoryEntry]:
        return await image_history(self._images, ref)

    async def tag(self, source: str, target: str) -> Image:
        image = await self._images.tag(source, target)
        self._events.publish("image", "tag", image.id, name=target)
        return image

    async def remove(self, ref: str, force: bool, prune: bool = True) -> Removal:
        image = await self._images.get(ref)
        untag_only = _deletes(ref, image) and self._check_unused(ref, force, image)
        in_use = sorted({c.image for c in self._store.list()})
        removal = await self._images.remove(ref, force, in_use, prune, untag_only)
        for name in removal.untagged:
            self._events.publish("image", "untag", name, name=name)
        for deleted in removal.deleted:
            self._events.publish("image", "delete", deleted)
        return removal

    async def prune(self, all: bool, filters: list[str]) -> Removal:
        pruned = await imageprune.prune(self._images, self._store, all, filters)
        for deleted in pruned.deleted:
            self._events.publish("image", "delete", deleted)
        self._events.publish("image", "prune", "", reclaimed=str(pruned.reclaimed))
        return pruned

    def _check_unused(self, ref: str, force: bool, image: Image) -> bool:
        """Refuse what dockerd refuses of deleting an image containers use; True where it only
        takes the name away (forced, by its last name, while a container runs it)."""
        users = self._store.using_image(image.id)
        if not users:
            return False
        short = image.id.removeprefix("sha256:")[:12]
        by_id = image.id.removeprefix("sha256:").startswith(ref.removeprefix("sha256:"))
        running = [c for c in users if c.running]
        if running and force and not by_id:
            return True  # dockerd untags, then meets the running container and stops, quietly
        if running and by_id:  # dockerd's conflictHard
            raise errors.FailedPrecondition(
                f"conflict: unable to delete {short} (cannot be forced) - image is being used by "
                f"running container {running[0].short_id}"
            )
        if by_id and not force:  # dockerd's conflictSoft
            raise errors.FailedPrecondition(
                f"conflict: unable to delete {short} (must be forced) - image is being used by "
                f"stopped container {users[0].short_id}"
            )
        if not force:  # by its last name, which dockerd refuses to take first, running or not
            raise errors.FailedPrecondition(
                f'conflict: unable to remove repository reference "{ref}" (must force) - '
                f"container {users[0].short_id} is using its referenced image {short}"
            )
        return False


def _deletes(ref: str, image: Image) -> bool:
    """Whether removing `ref` deletes the image (its last name, or its ID) or only untags it."""
    by_id = image.id.removeprefix("sha256:").startswith(ref.removeprefix("sha256:"))
    return by_id or len(image.repo_tags) <= 1
