"""The images service's core: records, tags, removal with garbage collection, import, unpack.

Garbage collection is mark and sweep (containerd's lesson 5): after an image is deleted, every
blob no remaining image references is deleted, except blobs leased by a pull or import still
in progress; then the deleted image's layer snapshots that no remaining image uses are removed,
top layer first, stopping at one the snapshotter refuses (a container builds on it).
"""

from __future__ import annotations

import contextlib
import json
import platform
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockyard.api.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted
from dockyard.services.images import listing, reference
from dockyard.services.images.content import ContentStore, Locks
from dockyard.services.images.imagestore import ImageRecord, ImageStore
from dockyard.services.images.leases import Leases
from dockyard.services.images.schema import Descriptor
from dockyard.services.images.unpack import Layer, LayerStore, apply_layer, chain_ids

MEDIA_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
MEDIA_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
GOARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


class Held(set[str]):
    """The digests of one lease: adding one protects it at once."""

    def __init__(self, counts: Counter[str], digests: set[str]) -> None:
        super().__init__(digests)
        self._counts = counts
        counts.update(self)

    def add(self, digest: str) -> None:
        if digest not in self:
            self._counts[digest] += 1
            super().add(digest)


@dataclass
class Removal:
    untagged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # the image's ID, then layers' chain IDs
    reclaimed: int = 0  # bytes of the layers removed (uncompressed)


@dataclass(frozen=True)
class Progress:
    id: str
    status: str
    current: int = 0
    total: int = 0
    image: ImageRecord | None = None


def host_arch() -> str:
    machine = platform.machine()
    return GOARCH.get(machine, machine)


class Images:
    def __init__(
        self,
        content: ContentStore,
        store: ImageStore,
        layers: LayerStore,
        leases: Leases | None = None,
    ) -> None:
        self.content = content
        self.store = store
        self.layers = layers
        self.leases = leases  # persisted holds (a build cache): never collected
        self.locks = Locks()
        self._leases: Counter[str] = Counter()

    # -- leases -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lease(self, digests: set[str]) -> Iterator[Held]:
        """Protect `digests` (and what is added to the lease as the operation goes) from
        garbage collection."""
        held = Held(self._leases, digests)
        try:
            yield held
        finally:
            self._leases.subtract(held)
            self._leases += Counter()  # drop zero counts

    # -- queries ------------------------------------------------------------------------------

    def get(self, ref: str) -> ImageRecord:
        return self.store.resolve(ref)

    def matching(self, filters: list[str], all: bool = False) -> list[ImageRecord]:
        """The images `filters` keep, newest first, intermediate ones with `all` only
        (services/images/listing.py)."""
        return listing.matching(
            self.store.all(), filters, self.store.resolve, self.store.parents(), all
        )

    def tag(self, source: str, target: str) -> ImageRecord:
        image = self.store.resolve(source)
        ref = reference.parse(target)
        if ref.digest:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        self.store.tag(ref.name, image.id)
        return self.store.get(image.id)

    # -- removal ------------------------------------------------------------------------------

    async def remove(
        self,
        ref: str,
        force: bool,
        in_use: set[str] = frozenset(),  # type: ignore[assignment]
        prune: bool = True,
        untag_only: bool = False,
    ) -> Removal:
        """What was untagged and deleted, as `docker rmi` reports it, and the bytes freed: the
        image, then (`prune`) its untagged parents no container uses and nothing else builds
        on."""
        image = self.store.resolve(ref)
        by_id = reference.is_digest_prefix(ref) and image.id.removeprefix("sha256:").startswith(
            ref.removeprefix("sha256:")
        )
        if not by_id:
            name = reference.parse(ref).name
            if name in image.names and len(image.names) > 1:
                self.store.untag(name)
                return Removal([name])
            if self.store.children(image.id) or untag_only:  # docker untags it, keeps it quietly
                self.store.untag(name)
                return Removal([name])
        elif self.store.children(image.id):
            raise FailedPrecondition(
                f"conflict: unable to delete {image.id[7:19]} (cannot be forced) - "
                "image has dependent child images"
            )
        elif len(image.names) > 1 and not force:
            raise FailedPrecondition(
                f"conflict: unable to delete {image.id[7:19]} (must be forced) - "
                "image is referenced in multiple repositories"
            )
        doomed = [image]
        self.store.delete(image.id)
        while prune and (parent := self._prunable(doomed[-1].parent, in_use)) is not None:
            self.store.delete(parent.id)
            doomed.append(parent)
        removal = Removal(image.names + image.repo_digests)
        await self._collect_for(doomed, removal)
        return removal

    async def _collect_for(self, doomed: list[ImageRecord], removal: Removal) -> None:
        """One collection for the deleted images (child first), each reported as docker does:
        its ID, then the layers that went with it (those its parent does not have)."""
        stacks = [chain_ids(image.diff_ids) for image in doomed]
        sizes = {chain: self.store.layer_size(chain) for stack in stacks for chain in stack}
        removed: list[str] = []
        swept: set[str] = set()
        for stack in stacks:  # a parent's stack is the child's but its top layers: one pass
            if not swept.issuperset(stack):
                removed += await self.collect(stack)
                swept.update(stack)
        reported: set[str] = set()
        for image, below in zip(doomed, [*stacks[1:], []], strict=True):
            own = [chain for chain in removed if chain not in below and chain not in reported]
            reported.update(own)
            removal.deleted += [image.id, *own]
        removal.reclaimed += sum(sizes[chain] for chain in removed)

    def _prunable(self, image_id: str, in_use: set[str]) -> ImageRecord | None:
        """The parent `image_id` when deleting it goes with its child's deletion: untagged,
        no container uses it, nothing else is built on it."""
        if not image_id or image_id in in_use or self.store.children(image_id):
            return None
        try:
            parent = self.store.get(image_id)
        except NotFound:
            return None
        return None if parent.names or parent.repo_digests else parent

    async def collect(self, chains: list[str]) -> list[str]:
        """Sweep blobs no image references (nor a lease holds), then the snapshots of `chains`
        (a layer stack, base first) that no image uses; return the removed chain IDs."""
        remaining = self.store.all()
        referenced = set().union(*(i.blobs for i in remaining)) | set(self._leases)
        if self.leases is not None:
            referenced |= self.leases.digests()
        unreferenced = self.content.digests() - referenced
        for digest in unreferenced:
            self.content.delete(digest)
        with contextlib.suppress(ResourceExhausted):  # where they came from: only a hint
            self.store.forget_sources(unreferenced)
        used = set().union(*(chain_ids(i.diff_ids) for i in remaining))
        if self.leases is not None:
            used |= self.leases.chains()
        removed = []
        for chain_id in reversed(chains):
            if chain_id in used:
                break
            try:
                await self.layers.remove(chain_id)
            except NotFound:
                continue
            except FailedPrecondition:
                break  # a container (or another snapshot) builds on it
            self.store.forget_layer(chain_id)
            removed.append(chain_id)
        return removed

    async def collect_orphans(self) -> list[str]:
        """At start-up: what a killed pull (or an older version) left that nothing uses — blobs,
        and layer snapshots no image, lease or other snapshot builds on — goes."""
        committed = dict(await self.layers.committed())
        parents = set(committed.values())
        orphans = [name for name in committed if name not in parents]
        removed = await self.collect([])
        for name in orphans:  # each a top: collect walks down what nothing else uses
            removed += await self.collect(_chain_to(name, committed))
        return removed

    # -- unpack -------------------------------------------------------------------------------

    async def unpack(self, image: ImageRecord) -> AsyncIterator[Progress]:
        """Make sure every layer of `image` is a committed snapshot."""
        parent = ""
        for layer, diff_id, chain_id in zip(
            image.layers, image.diff_ids, chain_ids(image.diff_ids), strict=False
        ):
            short = layer.digest[7:19]
            if await self.layers.exists(chain_id):
                parent = chain_id  # unpacked already (its blob may not be here: "Already exists")
                continue
            applied = await apply_layer(
                self.layers,
                parent,
                chain_id,
                Layer(self.content.path(layer.digest), layer.media_type, diff_id),
            )
            if applied is not None:
                self.store.set_layer_size(chain_id, applied[1])
                yield Progress(short, "Pull complete")
            parent = chain_id

    def layer_sizes(self, diff_ids: list[str]) -> int:
        return sum(self.store.layer_size(c) for c in chain_ids(diff_ids))

    # -- import -------------------------------------------------------------------------------

    async def import_tarball(
        self, ref: str, message: str, chunks: AsyncIterator[bytes]
    ) -> ImageRecord:
        name = reference.parse(ref).name if ref else ""
        with self.lease(set()) as held:
            layer_digest = await self._ingest(chunks)
            held.add(layer_digest)
            path = self.content.path(layer_digest)
            media_type = MEDIA_LAYER_GZIP if _is_gzip(path) else MEDIA_LAYER
            applied = await apply_layer(self.layers, "", "", Layer(path, media_type, ""))
            assert applied is not None
            diff_id, size = applied
            self.store.set_layer_size(diff_id, size)
            config = _import_config(diff_id, message)
            config_desc = self._put_json(config, MEDIA_CONFIG, held)
            layer = Descriptor(media_type, layer_digest, path.stat().st_size)
            manifest = {
                "schemaVersion": 2,
                "mediaType": MEDIA_MANIFEST,
                "config": config_desc.to_json(),
                "layers": [layer.to_json()],
            }
            manifest_desc = self._put_json(manifest, MEDIA_MANIFEST, held)
            image = ImageRecord(config_desc.digest, manifest_desc, config, [layer], size)
            self.store.put(image, name)
        return self.store.get(image.id)

    async def _ingest(self, chunks: AsyncIterator[bytes]) -> str:
        writer = self.content.writer(f"import-{secrets.token_hex(8)}")
        try:
            async for chunk in chunks:
                writer.write(chunk)
            if writer.offset == 0:
                raise InvalidArgument("the tarball to import is empty")
            return writer.commit()
        except BaseException:
            writer.abort()
            raise

    def _put_json(self, doc: dict[str, Any], media_type: str, held: set[str]) -> Descriptor:
        data = json.dumps(doc, separators=(",", ":")).encode()
        writer = self.content.writer(f"json-{secrets.token_hex(8)}")
        writer.write(data)
        digest = writer.commit()
        held.add(digest)
        return Descriptor(media_type, digest, len(data))


def _chain_to(name: str, parents: dict[str, str]) -> list[str]:
    """`name` and the snapshots below it, base first."""
    chain = []
    while name and name not in chain:
        chain.append(name)
        name = parents.get(name, "")
    return chain[::-1]


def _import_config(diff_id: str, message: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "architecture": host_arch(),
        "os": "linux",
        "created": now,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": now, "comment": message or "Imported from -"}],
    }


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"
