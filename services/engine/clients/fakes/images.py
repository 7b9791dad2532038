"""`ImageClient` in memory: image records by ID, names to IDs, and a pretend registry.

Names are compared as given, with ":latest" added to a name without a tag (the real service
normalises docker.io names too; tests use one spelling). A pulled or imported image's chain ID
is committed in the fake snapshotter, as unpacking does.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.fakes.snapshots import FakeSnapshots
from dockyard.services.engine.clients.images import (
    Image,
    ImageConfig,
    ImportHeader,
    Platform,
    PullProgress,
    RegistryAuth,
    Removal,
)


def make_image(name: str, config: ImageConfig | None = None) -> Image:
    """An image made for `name` (its ID and chain ID derived from it), with `config`."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return Image(
        id=f"sha256:{digest}",
        config=config or ImageConfig(cmd=["sh"]),
        diff_ids=[f"sha256:{digest[::-1]}"],
        chain_id=f"sha256:{digest[::-1]}",
    )


class FakeImages:
    def __init__(self, faults: Faults, snapshots: FakeSnapshots) -> None:
        self.faults = faults
        self.images: dict[str, Image] = {}
        self.registry: dict[str, Image] = {}  # what `pull` can fetch, by name
        self._snapshots = snapshots

    def add(self, image: Image, *names: str) -> Image:
        """Store `image` under `names`, its layers unpacked."""
        stored = self.images.setdefault(image.id, replace(image, repo_tags=[]))
        for name in names:
            self._untag(_tagged(name))
            stored.repo_tags.append(_tagged(name))
        self._snapshots.commit(image.chain_id)
        return stored

    async def get(self, ref: str) -> Image:
        self.faults.enter("images.get", ref)
        return self._resolve(ref)

    async def list_images(self, filters: list[str]) -> list[Image]:
        self.faults.enter("images.list_images")
        return list(self.images.values())

    async def pull(
        self, ref: str, auth: RegistryAuth, platform: Platform | None
    ) -> AsyncIterator[PullProgress]:
        self.faults.enter("images.pull", ref)
        found = self.registry.get(_tagged(ref))
        if found is None:
            raise errors.NotFound(f"manifest for {ref} not found")
        yield PullProgress(status=f"Pulling from {ref}")
        yield PullProgress(status="Pull complete", image=self.add(found, ref))

    async def import_image(self, header: ImportHeader, chunks: AsyncIterator[bytes]) -> Image:
        self.faults.enter("images.import_image", header.ref)
        digest = hashlib.sha256()
        async for chunk in chunks:
            digest.update(chunk)
        image = Image(id=f"sha256:{digest.hexdigest()}", chain_id=f"sha256:{digest.hexdigest()}")
        return self.add(image, *([header.ref] if header.ref else []))

    async def unpack(self, ref: str) -> None:
        self.faults.enter("images.unpack", ref)
        self._snapshots.commit(self._resolve(ref).chain_id)

    async def tag(self, source: str, target: str) -> Image:
        self.faults.enter("images.tag", target)
        return self.add(self._resolve(source), target)

    async def remove(self, ref: str, force: bool) -> Removal:
        self.faults.enter("images.remove", ref)
        image = self._resolve(ref)
        if _tagged(ref) in image.repo_tags and len(image.repo_tags) > 1:
            image.repo_tags.remove(_tagged(ref))
            return Removal(untagged=[_tagged(ref)])
        del self.images[image.id]
        return Removal(untagged=image.repo_tags, deleted=[image.id])

    def _resolve(self, ref: str) -> Image:
        for image in self.images.values():
            if _tagged(ref) in image.repo_tags or image.id == ref:
                return image
        bare = ref.removeprefix("sha256:")
        found = [i for i in self.images.values() if i.id.removeprefix("sha256:").startswith(bare)]
        if len(found) == 1 and len(bare) >= 4:
            return found[0]
        raise errors.NotFound(f"No such image: {ref}")

    def _untag(self, name: str) -> None:
        for image in self.images.values():
            if name in image.repo_tags:
                image.repo_tags.remove(name)


def _tagged(name: str) -> str:
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"
