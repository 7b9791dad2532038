"""`ImageClient` in memory: image records by ID, names to IDs, and a pretend registry.

Names are compared as given, with ":latest" added to a name without a tag (the real service
normalises docker.io names too; tests use one spelling). A pulled or imported image's chain ID
is committed in the fake snapshotter, as unpacking does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.fakes.snapshots import FakeSnapshots
from dockyard.services.engine.clients.images import (
    Descriptor,
    Image,
    ImageConfig,
    ImportHeader,
    NewImage,
    Platform,
    PullProgress,
    RegistryAuth,
    Removal,
)
from dockyard.services.engine.model import HealthConfig


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
        self.blobs: dict[str, bytes] = {}
        self.leases: dict[str, set[str]] = {}  # lease -> digests and chain IDs
        self._snapshots = snapshots

    def add(self, image: Image, *names: str) -> Image:
        """Store `image` under `names`, its layers unpacked."""
        stored = self.images.setdefault(image.id, replace(image, repo_tags=[]))
        for name in names:
            self._untag(_tagged(name))
            stored.repo_tags.append(_tagged(name))
        if image.chain_id:
            self._snapshots.add_committed(image.chain_id)
        return stored

    async def get(self, ref: str) -> Image:
        self.faults.enter("images.get", ref)
        return self._resolve(ref)

    async def list_images(self, filters: list[str], all: bool = False) -> list[Image]:
        self.faults.enter("images.list_images")
        parents = {i.parent for i in self.images.values()}
        return [i for i in self.images.values() if all or i.repo_tags or i.id not in parents]

    async def pull(
        self, ref: str, auth: RegistryAuth, platform: Platform | None, all_tags: bool = False
    ) -> AsyncIterator[PullProgress]:
        self.faults.enter("images.pull", ref)
        if all_tags:
            tags = [name for name in self.registry if name.rpartition(":")[0] == ref]
            for name in tags[:-1]:
                self.add(self.registry[name], name)
            ref = tags[-1] if tags else ref
        found = self.registry.get(_tagged(ref))
        if found is None:
            raise errors.NotFound(f"manifest for {ref} not found")
        yield PullProgress(status=f"Pulling from {ref}")
        yield PullProgress(status="Pull complete", image=self.add(found, ref))

    async def save(self, refs: list[str]) -> AsyncIterator[bytes]:
        self.faults.enter("images.save", *refs)
        for ref in refs:
            yield self._resolve(ref).id.encode()

    async def load(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[PullProgress]:
        self.faults.enter("images.load")
        digest = hashlib.sha256()
        async for chunk in chunks:
            digest.update(chunk)
        image = self.add(Image(id=f"sha256:{digest.hexdigest()}"))
        yield PullProgress(status=f"Loaded image ID: {image.id}", image=image)

    async def login(self, server: str, auth: RegistryAuth) -> str:
        self.faults.enter("images.login", server)
        return "Login Succeeded"

    async def push(self, ref: str, auth: RegistryAuth) -> AsyncIterator[PullProgress]:
        self.faults.enter("images.push", ref)
        image = self._resolve(ref)
        self.registry[_tagged(ref)] = image
        yield PullProgress(status=f"The push refers to repository [{ref}]")
        yield PullProgress(status="latest: digest: sha256:0 size: 0", image=image)

    async def import_image(self, header: ImportHeader, chunks: AsyncIterator[bytes]) -> Image:
        self.faults.enter("images.import_image", header.ref)
        digest = hashlib.sha256()
        async for chunk in chunks:
            digest.update(chunk)
        image = Image(id=f"sha256:{digest.hexdigest()}", chain_id=f"sha256:{digest.hexdigest()}")
        return self.add(image, *([header.ref] if header.ref else []))

    async def unpack(self, ref: str) -> None:
        self.faults.enter("images.unpack", ref)
        self._snapshots.add_committed(self._resolve(ref).chain_id)

    async def tag(self, source: str, target: str) -> Image:
        self.faults.enter("images.tag", target)
        return self.add(self._resolve(source), target)

    async def remove(
        self,
        ref: str,
        force: bool,
        in_use: list[str] | None = None,
        prune: bool = True,
        untag_only: bool = False,
    ) -> Removal:
        self.faults.enter("images.remove", ref)
        image = self._resolve(ref)
        if _tagged(ref) in image.repo_tags and (len(image.repo_tags) > 1 or untag_only):
            image.repo_tags.remove(_tagged(ref))
            return Removal(untagged=[_tagged(ref)])
        if any(i.parent == image.id for i in self.images.values()):
            raise errors.FailedPrecondition("image has dependent child images")
        del self.images[image.id]
        removal = Removal(untagged=image.repo_tags, deleted=[image.id])
        parent = self.images.get(image.parent) if prune else None
        while (
            parent is not None
            and not parent.repo_tags
            and parent.id not in (in_use or [])
            and not any(i.parent == parent.id for i in self.images.values())
        ):
            del self.images[parent.id]
            removal.deleted.append(parent.id)
            parent = self.images.get(parent.parent)
        return removal

    async def read_blob(self, digest: str) -> bytes:
        self.faults.enter("images.read_blob", digest)
        if digest not in self.blobs:
            raise errors.NotFound(f"blob {digest} not found")
        return self.blobs[digest]

    async def write_blob(
        self, media_type: str, chunks: AsyncIterator[bytes], lease: str = ""
    ) -> Descriptor:
        self.faults.enter("images.write_blob", media_type)
        data = b"".join([chunk async for chunk in chunks])
        digest = self.put_blob(data)
        if lease:
            self.leases.setdefault(lease, set()).add(digest)
        return Descriptor(media_type, digest, len(data))

    def put_blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    async def create_image(self, new: NewImage) -> Image:
        self.faults.enter("images.create_image", new.config)
        doc = json.loads(await self.read_blob(new.config))
        diff_ids = list(doc["rootfs"]["diff_ids"])
        if len(diff_ids) != len(new.layers):
            raise errors.InvalidArgument("the image config and its layers disagree")
        chains = [chain_id(diff_ids[: i + 1]) for i in range(len(diff_ids))]
        missing = [
            d.digest
            for d, chain in zip(new.layers, chains, strict=True)
            if d.digest not in self.blobs and chain not in self._snapshots.committed
        ]
        if missing:
            raise errors.NotFound(f"layer {missing[0]} is not in the content store")
        image = Image(
            id=new.config,
            config=config_of(doc.get("config") or {}),
            diff_ids=diff_ids,
            chain_id=chain_id(diff_ids),
            os=doc.get("os", ""),
            architecture=doc.get("architecture", ""),
            parent=new.parent if new.parent in self.images else "",
        )
        return self.add(image, *new.names)

    async def lease(self, lease: str, digests: list[str], chains: list[str]) -> None:
        self.faults.enter("images.lease", lease)
        self.leases.setdefault(lease, set()).update(digests, chains)

    async def release_lease(self, lease: str) -> None:
        self.faults.enter("images.release_lease", lease)
        self.leases.pop(lease, None)

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


def chain_id(diff_ids: list[str]) -> str:
    """The chain ID of a layer stack, as the images service computes it."""
    chain = ""
    for diff_id in diff_ids:
        chain = (
            diff_id
            if not chain
            else "sha256:" + hashlib.sha256(f"{chain} {diff_id}".encode()).hexdigest()
        )
    return chain


def config_of(doc: dict[str, object]) -> ImageConfig:
    """The runtime config of an image config's `config` section (docker's key names)."""

    def strings(key: str) -> list[str]:
        value = doc.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    labels = doc.get("Labels")
    return ImageConfig(
        user=str(doc.get("User") or ""),
        env=strings("Env"),
        entrypoint=strings("Entrypoint"),
        cmd=strings("Cmd"),
        working_dir=str(doc.get("WorkingDir") or ""),
        labels=dict(labels) if isinstance(labels, dict) else {},
        exposed_ports=sorted(doc.get("ExposedPorts") or {}),  # type: ignore[call-overload]
        volumes=sorted(doc.get("Volumes") or {}),  # type: ignore[call-overload]
        stop_signal=str(doc.get("StopSignal") or ""),
        shell=strings("Shell"),
        healthcheck=_healthcheck(doc.get("Healthcheck")),
    )


def _healthcheck(doc: object) -> HealthConfig | None:
    if not isinstance(doc, dict) or not doc.get("Test"):
        return None
    return HealthConfig(
        test=[str(word) for word in doc["Test"]],
        interval=int(doc.get("Interval") or 0),
        timeout=int(doc.get("Timeout") or 0),
        start_period=int(doc.get("StartPeriod") or 0),
        retries=int(doc.get("Retries") or 0),
    )
