"""Images made here rather than pulled: blobs a client writes (a build's layers and configs,
a commit's layer), and the image record made of them.

    write_blob(header, chunks)   → the blob, committed once its digest is known (and checked
                                   when the header names one); it joins the header's lease
    create(config, layers, names, parent)
                                 → the config checked (OCI schema, one diff ID per layer, each
                                   layer a blob here or unpacked already),
                                   a manifest written (Docker schema2, or OCI when a layer is
                                   OCI-typed), the layers unpacked where they are not yet,
                                   the record stored (its parent, a build's previous step,
                                   kept when that image is here) and tagged

Both hold an in-memory lease while they work, so a collection running meanwhile (an `rmi`)
never takes what is being made.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.images import reference, schema
from dockyard.services.images.content import full_disk_is_exhaustion
from dockyard.services.images.images import MEDIA_CONFIG, MEDIA_MANIFEST, Images
from dockyard.services.images.imagestore import ImageRecord
from dockyard.services.images.schema import Descriptor
from dockyard.services.images.unpack import chain_ids

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_TO_OCI = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip": OCI_LAYER_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar": OCI_LAYER,
}


@dataclass(frozen=True)
class BlobHeader:
    media_type: str
    digest: str = ""  # expected; "" = whatever the bytes hash to
    lease: str = ""


class Authoring:
    def __init__(self, images: Images) -> None:
        self._images = images

    def blob_path(self, digest: str) -> Path:
        return self._images.content.path(digest)

    async def write_blob(self, header: BlobHeader, chunks: AsyncIterator[bytes]) -> Descriptor:
        if header.lease and self._images.leases is None:
            raise InvalidArgument("this images service keeps no leases")
        writer = self._images.content.writer(f"write-{secrets.token_hex(8)}")
        with self._images.lease(set()) as held:
            try:
                with full_disk_is_exhaustion():
                    async for chunk in chunks:
                        await asyncio.to_thread(writer.write, chunk)
                    digest = await asyncio.to_thread(writer.commit, header.digest)
            except BaseException:
                writer.abort()
                raise
            held.add(digest)
            if header.lease and self._images.leases is not None:
                self._images.leases.add(header.lease, [digest])
            return Descriptor(header.media_type, digest, self._images.content.size(digest))

    async def create(
        self,
        config_digest: str,
        layers: list[Descriptor],
        names: list[str],
        sizes: list[int],
        parent: str = "",
    ) -> ImageRecord:
        """Record the image (see the module docstring); NotFound for a missing blob."""
        refs = [reference.parse(n).name for n in names]  # a bad name fails before any work
        config = self._config(config_digest, layers)
        await self._check_layers(layers, chain_ids(schema.diff_ids(config)))
        blobs = {config_digest, *(layer.digest for layer in layers)}
        with self._images.lease(blobs) as held:
            manifest, layers = self._manifest(config_digest, layers, held)
            record = ImageRecord(config_digest, manifest, config, layers, sum(sizes))
            record.parent = parent if parent and self._exists(parent) else ""
            async for _ in self._images.unpack(record):
                pass
            self._record_sizes(record, sizes)
            self._images.store.put(record, refs[0] if refs else "")
            for name in refs[1:]:
                self._images.store.tag(name, record.id)
        return self._images.store.get(record.id)

    def _exists(self, image_id: str) -> bool:
        try:
            self._images.store.get(image_id)
        except NotFound:
            return False
        return True

    def _config(self, digest: str, layers: list[Descriptor]) -> dict[str, Any]:
        try:
            data = self._images.content.read(digest)
        except NotFound:
            raise NotFound(f"image config {digest} is not in the content store") from None
        config = schema.parse_config(data)
        listed = schema.diff_ids(config)
        if len(listed) != len(layers):
            raise InvalidArgument(
                f"the image config lists {len(listed)} layers, but {len(layers)} were given"
            )
        return config

    async def _check_layers(self, layers: list[Descriptor], chains: list[str]) -> None:
        """Each layer is a blob here, or already unpacked: a pull keeps no blob of a layer
        whose snapshot it found ("Already exists"), and an image built on it names it."""
        for layer, chain in zip(layers, chains, strict=True):
            if not self._images.content.exists(
                layer.digest
            ) and not await self._images.layers.exists(chain):
                raise NotFound(f"layer {layer.digest} is not in the content store")

    def _manifest(
        self, config: str, layers: list[Descriptor], held: set[str]
    ) -> tuple[Descriptor, list[Descriptor]]:
        """The manifest written, and the layers as it lists them (all OCI-typed or none)."""
        oci = any(".oci." in layer.media_type for layer in layers)
        if oci:
            layers = [
                Descriptor(DOCKER_TO_OCI.get(d.media_type, d.media_type), d.digest, d.size)
                for d in layers
            ]
        media_type = schema.OCI_MANIFEST if oci else MEDIA_MANIFEST
        doc = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": OCI_CONFIG if oci else MEDIA_CONFIG,
                "digest": config,
                "size": self._images.content.size(config),
            },
            "layers": [layer.to_json() for layer in layers],
        }
        data = json.dumps(doc, separators=(",", ":")).encode()
        writer = self._images.content.writer(f"manifest-{secrets.token_hex(8)}")
        writer.write(data)
        digest = writer.commit()
        held.add(digest)
        return Descriptor(media_type, digest, len(data)), layers

    def _record_sizes(self, record: ImageRecord, sizes: list[int]) -> None:
        """Layer sizes the caller measured, for layers whose size is not known yet."""
        for chain_id, size in zip(chain_ids(record.diff_ids), sizes, strict=False):
            if size and not self._images.store.layer_size(chain_id):
                self._images.store.set_layer_size(chain_id, size)
