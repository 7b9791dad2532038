"""Push: an image's layers, config and manifest to a registry, as `docker push` does.

    "The push refers to repository [host/name]"
    each layer, 3 at a time: "Preparing" → "Layer already exists" (HEAD) | "Mounted from x"
        (a repository of the same registry it came from) | "Pushing" (bytes) → "Pushed"
    the config blob, then the manifest, byte for byte as stored (so its digest is kept)
    "<tag>: digest: sha256:… size: N"; the image gets that repo digest

Layers are named by their diff IDs' first 12 hex digits, as docker names them in a push.
Everything pushed is leased for the push's length, so a concurrent `rmi` cannot collect it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.images import reference, upload
from dockyard.services.images.images import Images, Progress
from dockyard.services.images.imagestore import ImageRecord
from dockyard.services.images.jobs import Job, Report, first_error
from dockyard.services.images.registry import Registries, Registry
from dockyard.services.images.registry_auth import Credentials
from dockyard.services.images.schema import Descriptor

CONCURRENT_UPLOADS = 3


class Pusher:
    def __init__(self, images: Images, registries: Registries) -> None:
        self._images = images
        self._registries = registries

    def start(self, text: str, auth: Any) -> Job:
        ref = reference.parse(text)
        if ref.digest:
            raise InvalidArgument("cannot push a digest reference")
        credentials = Credentials(
            auth.username, auth.password, auth.identity_token, auth.registry_token
        )
        return Job.start(lambda report: self._push(ref, credentials, report))

    async def _push(
        self, ref: reference.Reference, credentials: Credentials, report: Report
    ) -> Progress:
        try:
            image = self._images.store.resolve(ref.name)
        except NotFound:
            name = reference.familiar(str(ref))
            raise NotFound(f"An image does not exist locally with the tag: {name}") from None
        registry = self._registries.get(ref.domain, credentials)
        report(
            Progress("", f"The push refers to repository [{reference.familiar(ref.repository)}]")
        )
        with self._images.lease(image.blobs):
            await self._layers(registry, ref, image, report)
            config = Descriptor("", image.id, self._images.content.size(image.id))
            await self._blob(registry, ref, config, None)
            manifest = self._images.content.read(image.manifest.digest)
            await upload.put_manifest(
                registry, ref.path, ref.tag, manifest, image.manifest.media_type
            )
        self._images.store.add_repo_digest(image.id, ref.repository, image.manifest.digest)
        self._images.store.add_sources(sorted(image.blobs), ref.repository)
        line = f"{ref.tag}: digest: {image.manifest.digest} size: {len(manifest)}"
        return Progress("", line, image=self._images.store.get(image.id))

    async def _layers(
        self, registry: Registry, ref: reference.Reference, image: ImageRecord, report: Report
    ) -> None:
        shorts = [d[7:19] for d in image.diff_ids] or [d.digest[7:19] for d in image.layers]
        for short in shorts:
            report(Progress(short, "Preparing"))
        gate = asyncio.Semaphore(CONCURRENT_UPLOADS)

        async def one(layer: Descriptor, short: str) -> None:
            async with gate:
                await self._layer(registry, ref, layer, short, report)

        try:
            async with asyncio.TaskGroup() as group:
                for layer, short in zip(image.layers, shorts, strict=False):
                    group.create_task(one(layer, short))
        except ExceptionGroup as group:  # one clear error, not a group of them
            raise first_error(group) from None

    async def _layer(
        self,
        registry: Registry,
        ref: reference.Reference,
        layer: Descriptor,
        short: str,
        report: Report,
    ) -> None:
        status = await self._blob(
            registry,
            ref,
            layer,
            lambda done: report(Progress(short, "Pushing", done, layer.size)),
        )
        report(Progress(short, status))

    async def _blob(
        self,
        registry: Registry,
        ref: reference.Reference,
        blob: Descriptor,
        progress: upload.Report | None,
    ) -> str:
        """Make `blob` present in the repository; the status line that says how."""
        if await upload.exists(registry, ref.path, blob.digest):
            return "Layer already exists"
        for source in self._mount_sources(ref, blob.digest):
            if await upload.mount(registry, ref.path, blob.digest, source):
                return f"Mounted from {source}"
        path = self._images.content.path(blob.digest)
        await upload.upload(registry, ref.path, blob.digest, path, blob.size, progress)
        return "Pushed"

    def _mount_sources(self, ref: reference.Reference, digest: str) -> list[str]:
        """Other repositories of the same registry this blob came from or went to."""
        found = []
        for repository in self._images.store.sources(digest):
            domain, _, path = repository.partition("/")
            if domain == ref.domain and path != ref.path:
                found.append(path)
        return found[:3]
