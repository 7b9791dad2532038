"""Pull: resolve a reference at its registry, fetch and verify everything, record, unpack.

    manifest (an index → the platform's manifest) → config → layers, 3 at a time, streamed to
    the content store and verified → each layer unpacked as soon as it and the one below it
    are in (unpack overlaps the downloads) → the image recorded under its name

Progress is docker's: "Pulling fs layer", "Downloading" (bytes), "Verifying Checksum",
"Download complete", "Extracting", "Pull complete" or "Already exists" per layer, then
"Digest: …" and "Status: …" (with --all-tags, docker's pull -a, each tag the registry lists
is pulled in its order, each with its lines, then one "Status: …" for the repository; no layer lines for an image that is here already, as docker's). A layer counts as there ("Already exists") when both its
snapshot and its blob are: one unpacked from elsewhere (an import, a build) is downloaded
all the same, for push and save need the blob the manifest names. Everything the pull writes is leased until the image is recorded,
so a concurrent `rmi` cannot collect it, and nothing is recorded unless it all verified.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.images import reference
from dockyard.services.images.content import full_disk_is_exhaustion
from dockyard.services.images.fetch import fetch_blob
from dockyard.services.images.images import Images, Progress, host_arch
from dockyard.services.images.imagestore import ImageRecord
from dockyard.services.images.jobs import Job, Report, finish, first_error
from dockyard.services.images.registry import Registries, Registry
from dockyard.services.images.registry_auth import Credentials
from dockyard.services.images.resolve import Platform, normal_arch, resolve
from dockyard.services.images.schema import Descriptor
from dockyard.services.images.unpack import Layer, apply_layer, chain_ids

CONCURRENT_DOWNLOADS = 3


class Puller:
    def __init__(self, images: Images, registries: Registries) -> None:
        self._images = images
        self._registries = registries

    def start(self, text: str, platform: Any, auth: Any, all_tags: bool = False) -> Job:
        """Start pulling `text` (every tag of the repository it names with `all_tags`); the
        job's progress ends with the image (the last tag's)."""
        ref = reference.parse(text)
        if all_tags and not reference.is_name_only(text):
            raise InvalidArgument("tag can't be used with --all-tags/-a")
        wanted = (
            Platform(
                platform.os or "linux",
                normal_arch(platform.architecture or host_arch()),
                platform.variant,
            )
            if platform is not None
            else Platform("linux", host_arch())
        )
        pull = self._pull_all if all_tags else self._pull
        return Job.start(lambda report: pull(ref, wanted, _credentials(auth), report))

    async def _pull_all(
        self,
        ref: reference.Reference,
        wanted: Platform,
        credentials: Credentials,
        report: Report,
    ) -> Progress:
        """moby's pullV2Repository for a name alone: each tag the registry lists, then the
        repository's status (newer when any tag brought layers or a new name)."""
        try:
            tags = await self._registries.get(ref.domain, credentials).tags(ref.path)
        except NotFound as err:  # moby's TranslatePullError (NAME_UNKNOWN: notFoundError)
            raise NotFound(
                f"pull access denied for {reference.familiar(ref.repository)}, repository does "
                f"not exist or may require 'docker login': {err}"
            ) from None
        image, newer = None, False
        for tag in tags:
            tagged = dataclasses.replace(ref, tag=tag)
            image, up_to_date = await self._pull_one(tagged, wanted, credentials, report)
            newer = newer or not up_to_date
        return _status(reference.familiar(ref.repository), not newer, image)

    async def _pull(
        self,
        ref: reference.Reference,
        wanted: Platform,
        credentials: Credentials,
        report: Report,
    ) -> Progress:
        image, up_to_date = await self._pull_one(ref, wanted, credentials, report)
        return _status(reference.familiar(str(ref)), up_to_date, image)

    async def _pull_one(
        self,
        ref: reference.Reference,
        wanted: Platform,
        credentials: Credentials,
        report: Report,
    ) -> tuple[ImageRecord, bool]:
        """The image `ref` names, pulled, and whether it was up to date already."""
        chains: list[str] = []
        try:
            with full_disk_is_exhaustion():
                return await self._run(ref, wanted, credentials, report, chains)
        except BaseException:
            # nothing half-stored: what this pull committed and no image uses goes again
            await asyncio.shield(self._images.collect(chains))
            raise

    async def _run(
        self,
        ref: reference.Reference,
        wanted: Platform,
        credentials: Credentials,
        report: Report,
        chains: list[str],
    ) -> tuple[ImageRecord, bool]:
        registry = self._registries.get(ref.domain, credentials)
        resolved = await resolve(registry, ref, wanted)
        report(Progress(ref.tag or ref.digest, f"Pulling from {ref.path}"))  # docker: once found
        manifest, config_desc = resolved.manifest, resolved.manifest.config
        layers, diff_ids = manifest.layers, resolved.diff_ids
        blobs = {resolved.manifest_digest, config_desc.digest, *(d.digest for d in layers)}
        with self._images.lease(blobs):
            up_to_date = self._up_to_date(ref, config_desc.digest)
            self._store_bytes(resolved.config_bytes, config_desc.digest)
            self._store_bytes(resolved.manifest_bytes, resolved.manifest_digest)
            chains.extend(chain_ids(diff_ids))
            quiet = self._known(config_desc.digest)  # docker: no layer lines for an image it has
            size = await self._layers(registry, ref, layers, diff_ids, _silent if quiet else report)
            image = ImageRecord(
                config_desc.digest,
                Descriptor(
                    manifest.media_type, resolved.manifest_digest, len(resolved.manifest_bytes)
                ),
                resolved.config,
                layers,
                size,
            )
            self._images.store.put(
                image, ref.name if ref.tag else "", (ref.repository, resolved.top)
            )
            self._images.store.add_sources(sorted(image.blobs), ref.repository)
        report(Progress("", f"Digest: {resolved.top}"))
        return self._images.store.get(config_desc.digest), up_to_date

    def _known(self, image_id: str) -> bool:
        try:
            self._images.store.get(image_id)
        except NotFound:
            return False
        return True

    def _up_to_date(self, ref: reference.Reference, image_id: str) -> bool:
        return self._images.store.image_of(ref.name) == image_id

    async def _layers(
        self,
        registry: Registry,
        ref: reference.Reference,
        layers: list[Descriptor],
        diff_ids: list[str],
        report: Report,
    ) -> int:
        """Download (bounded concurrency) and unpack in order as downloads land; total size."""
        try:
            return await self._fetch_and_unpack(registry, ref, layers, diff_ids, report)
        except ExceptionGroup as group:  # one clear error, not a group of them
            raise first_error(group) from None

    async def _fetch_and_unpack(
        self,
        registry: Registry,
        ref: reference.Reference,
        layers: list[Descriptor],
        diff_ids: list[str],
        report: Report,
    ) -> int:
        chains = chain_ids(diff_ids)
        gate = asyncio.Semaphore(CONCURRENT_DOWNLOADS)
        async with asyncio.TaskGroup() as group:
            downloads: list[asyncio.Task[None] | None] = []
            unpacked: list[bool] = []
            for layer, chain_id in zip(layers, chains, strict=True):
                unpacked.append(await self._images.layers.exists(chain_id))
                if unpacked[-1] and self._images.content.exists(layer.digest):
                    report(Progress(layer.digest[7:19], "Already exists"))
                    downloads.append(None)
                else:  # a layer unpacked from elsewhere (import, build) still gets its blob
                    report(Progress(layer.digest[7:19], "Pulling fs layer"))
                    downloads.append(
                        group.create_task(self._download(registry, ref, layer, gate, report))
                    )
            size, parent = 0, ""
            for layer, diff_id, chain_id, download, done in zip(
                layers, diff_ids, chains, downloads, unpacked, strict=True
            ):
                if download is not None:
                    await download
                if download is not None and not done:
                    report(Progress(layer.digest[7:19], "Extracting"))
                    layer_blob = Layer(
                        self._images.content.path(layer.digest), layer.media_type, diff_id
                    )
                    applied = await finish(
                        apply_layer(self._images.layers, parent, chain_id, layer_blob)
                    )
                    if applied is not None:
                        self._images.store.set_layer_size(chain_id, applied[1])
                if download is not None:  # docker's too when the layer was there, not its blob
                    report(Progress(layer.digest[7:19], "Pull complete"))
                size += self._images.store.layer_size(chain_id)
                parent = chain_id
        return size

    async def _download(
        self,
        registry: Registry,
        ref: reference.Reference,
        layer: Descriptor,
        gate: asyncio.Semaphore,
        report: Report,
    ) -> None:
        short = layer.digest[7:19]
        async with gate, self._images.locks(layer.digest):
            if self._images.content.exists(layer.digest):
                report(Progress(short, "Download complete"))
                return
            await fetch_blob(
                registry,
                ref.path,
                layer,
                self._images.content,
                lambda done: report(Progress(short, "Downloading", done, layer.size)),
            )
            report(Progress(short, "Verifying Checksum"))
            report(Progress(short, "Download complete"))

    def _store_bytes(self, data: bytes, digest: str) -> None:
        if not self._images.content.exists(digest):
            writer = self._images.content.writer(f"manifest-{digest}")
            writer.restart()  # what a killed pull left in the ingest is written again, whole
            writer.write(data)
            writer.commit(digest)


def _status(name: str, up_to_date: bool, image: ImageRecord | None) -> Progress:
    """moby's writeStatus: the pull's last line, with the image it leaves (the last one)."""
    verb = "Image is up to date for" if up_to_date else "Downloaded newer image for"
    return Progress("", f"Status: {verb} {name}", image=image)


def _credentials(auth: Any) -> Credentials:
    if auth is None:
        return Credentials()
    return Credentials(auth.username, auth.password, auth.identity_token, auth.registry_token)


def _silent(progress: Progress) -> None:
    """A report that shows nothing."""
