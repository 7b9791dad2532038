"""Pull: resolve a reference at its registry, fetch and verify everything, record, unpack.

    manifest (an index → the platform's manifest) → config → layers, 3 at a time, streamed to
    the content store and verified → each layer unpacked as soon as it and the one below it
    are in (unpack overlaps the downloads) → the image recorded under its name

Progress is docker's: "Pulling fs layer", "Downloading" (bytes), "Verifying Checksum",
"Download complete", "Extracting", "Pull complete" or "Already exists" per layer, then
"Digest: …" and "Status: …". Everything the pull writes is leased until the image is recorded,
so a concurrent `rmi` cannot collect it, and nothing is recorded unless it all verified.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from dockyard.api.config import DaemonConfig
from dockyard.api.errors import DigestMismatch, DockyardError, InvalidArgument, NotFound
from dockyard.services.images import reference
from dockyard.services.images.images import Images, Progress, host_arch
from dockyard.services.images.imagestore import Descriptor, ImageRecord
from dockyard.services.images.registry import Credentials, Registry
from dockyard.services.images.unpack import Layer, apply_layer, chain_ids

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
INDEXES = (OCI_INDEX, DOCKER_LIST)
CONCURRENT_DOWNLOADS = 3
T = TypeVar("T")
PROGRESS_EVERY = 512 * 1024


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = ""
    variant: str = ""

    def matches(self, other: dict[str, Any]) -> bool:
        arch = _normal_arch(other.get("architecture", ""))
        if other.get("os") != self.os or arch != self.architecture:
            return False
        want = self.variant or ("v8" if arch == "arm64" else "")
        have = other.get("variant") or ("v8" if arch == "arm64" else "")
        return not want or want == have


def _normal_arch(arch: str) -> str:
    return {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}.get(arch, arch)


class Puller:
    def __init__(self, images: Images, config: DaemonConfig, config_path: Path) -> None:
        self._images = images
        self._insecure = config.insecure_registries
        self._certs = config_path.parent / "certs.d"
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def pull(self, text: str, platform: Any, auth: Any) -> AsyncIterator[Progress]:
        """Progress of pulling `text`; the last item carries the image."""
        ref = reference.parse(text)
        wanted = (
            Platform(
                platform.os or "linux",
                _normal_arch(platform.architecture or host_arch()),
                platform.variant,
            )
            if platform is not None
            else Platform("linux", host_arch())
        )
        queue: asyncio.Queue[Progress | None] = asyncio.Queue()
        work = asyncio.create_task(self._pull(ref, wanted, _credentials(auth), queue))
        try:
            while (item := await queue.get()) is not None:
                yield item
            yield await work
        finally:
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError, DockyardError):
                    await work

    async def _pull(
        self,
        ref: reference.Reference,
        wanted: Platform,
        credentials: Credentials,
        queue: asyncio.Queue[Progress | None],
    ) -> Progress:
        chains: list[str] = []
        try:
            return await self._run(ref, wanted, credentials, queue, chains)
        except BaseException:
            # nothing half-stored: what this pull committed and no image uses goes again
            await asyncio.shield(self._images.collect(chains))
            raise
        finally:
            queue.put_nowait(None)

    async def _run(
        self,
        ref: reference.Reference,
        wanted: Platform,
        credentials: Credentials,
        queue: asyncio.Queue[Progress | None],
        chains: list[str],
    ) -> Progress:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        registry = Registry(self._session, ref.domain, self._insecure, self._certs, credentials)
        queue.put_nowait(
            Progress(ref.tag or ref.digest, f"Pulling from {reference.familiar(ref.repository)}")
        )
        manifest_bytes, manifest_digest, media_type, top = await self._manifest(
            registry, ref, wanted
        )
        manifest = json.loads(manifest_bytes)
        config_desc = Descriptor.from_json(manifest["config"])
        layers = [Descriptor.from_json(layer) for layer in manifest.get("layers", [])]
        with self._images.lease({manifest_digest, config_desc.digest, *(d.digest for d in layers)}):
            up_to_date = self._up_to_date(ref, config_desc.digest)
            await self._store(registry, ref, config_desc, None)
            self._store_bytes(manifest_bytes, manifest_digest)
            config = json.loads(self._images.content.read(config_desc.digest))
            diff_ids = config.get("rootfs", {}).get("diff_ids", [])
            chains.extend(chain_ids(diff_ids))
            if len(diff_ids) != len(layers):
                raise InvalidArgument(
                    f"{ref}: the image config lists {len(diff_ids)} layers, the manifest {len(layers)}"
                )
            size = await self._layers(registry, ref, layers, diff_ids, queue)
            image = ImageRecord(
                config_desc.digest,
                Descriptor(media_type, manifest_digest, len(manifest_bytes)),
                config,
                layers,
                size,
            )
            self._images.store.put(image, ref.name if ref.tag else "", (ref.repository, top))
        queue.put_nowait(Progress("", f"Digest: {top}"))
        verb = "Image is up to date for" if up_to_date else "Downloaded newer image for"
        return Progress(
            "",
            f"Status: {verb} {reference.familiar(str(ref))}",
            image=self._images.store.get(config_desc.digest),
        )

    def _up_to_date(self, ref: reference.Reference, image_id: str) -> bool:
        return self._images.store.image_of(ref.name) == image_id

    async def _manifest(
        self, registry: Registry, ref: reference.Reference, wanted: Platform
    ) -> tuple[bytes, str, str, str]:
        """(manifest bytes, its digest, its media type, the digest the name resolved to)."""
        data, media_type = await self._fetch_manifest(registry, ref, ref.digest or ref.tag)
        top = "sha256:" + hashlib.sha256(data).hexdigest()
        if media_type in INDEXES or (not media_type and "manifests" in json.loads(data)):
            entry = _select(json.loads(data), wanted, ref)
            data, media_type = await self._fetch_manifest(registry, ref, entry["digest"])
        if media_type not in (DOCKER_MANIFEST, OCI_MANIFEST) and "layers" not in json.loads(data):
            raise InvalidArgument(
                f"{reference.familiar(str(ref))}: unsupported manifest type {media_type!r}"
            )
        return (
            data,
            "sha256:" + hashlib.sha256(data).hexdigest(),
            media_type or DOCKER_MANIFEST,
            top,
        )

    async def _fetch_manifest(
        self, registry: Registry, ref: reference.Reference, tag_or_digest: str
    ) -> tuple[bytes, str]:
        try:
            data, media_type = await registry.manifest(ref.path, tag_or_digest, ACCEPT)
        except NotFound as err:
            raise NotFound(
                f"manifest for {reference.familiar(str(ref))} not found: {err}"
            ) from None
        if tag_or_digest.startswith("sha256:"):
            _verify(data, tag_or_digest)
        return data, media_type

    async def _layers(
        self,
        registry: Registry,
        ref: reference.Reference,
        layers: list[Descriptor],
        diff_ids: list[str],
        queue: asyncio.Queue[Progress | None],
    ) -> int:
        """Download (bounded concurrency) and unpack in order as downloads land; total size."""
        try:
            return await self._fetch_and_unpack(registry, ref, layers, diff_ids, queue)
        except ExceptionGroup as group:  # one clear error, not a group of them
            raise _first(group) from None

    async def _fetch_and_unpack(
        self,
        registry: Registry,
        ref: reference.Reference,
        layers: list[Descriptor],
        diff_ids: list[str],
        queue: asyncio.Queue[Progress | None],
    ) -> int:
        chains = chain_ids(diff_ids)
        gate = asyncio.Semaphore(CONCURRENT_DOWNLOADS)
        async with asyncio.TaskGroup() as group:
            downloads: list[asyncio.Task[None] | None] = []
            for layer, chain_id in zip(layers, chains, strict=True):
                if await self._images.layers.exists(chain_id):
                    queue.put_nowait(Progress(layer.digest[7:19], "Already exists"))
                    downloads.append(None)
                else:
                    queue.put_nowait(Progress(layer.digest[7:19], "Pulling fs layer"))
                    downloads.append(
                        group.create_task(self._download(registry, ref, layer, gate, queue))
                    )
            size, parent = 0, ""
            for layer, diff_id, chain_id, download in zip(
                layers, diff_ids, chains, downloads, strict=True
            ):
                if download is not None:
                    await download
                    queue.put_nowait(Progress(layer.digest[7:19], "Extracting"))
                    layer_blob = Layer(
                        self._images.content.path(layer.digest), layer.media_type, diff_id
                    )
                    applied = await _finish(
                        apply_layer(self._images.layers, parent, chain_id, layer_blob)
                    )
                    if applied is not None:
                        self._images.store.set_layer_size(chain_id, applied[1])
                    queue.put_nowait(Progress(layer.digest[7:19], "Pull complete"))
                size += self._images.store.layer_size(chain_id)
                parent = chain_id
        return size

    async def _download(
        self,
        registry: Registry,
        ref: reference.Reference,
        layer: Descriptor,
        gate: asyncio.Semaphore,
        queue: asyncio.Queue[Progress | None],
    ) -> None:
        short = layer.digest[7:19]
        async with gate, self._images.locks(layer.digest):
            if self._images.content.exists(layer.digest):
                queue.put_nowait(Progress(short, "Download complete"))
                return
            await self._store(
                registry,
                ref,
                layer,
                lambda done: queue.put_nowait(Progress(short, "Downloading", done, layer.size)),
            )
            queue.put_nowait(Progress(short, "Verifying Checksum"))
            queue.put_nowait(Progress(short, "Download complete"))

    async def _store(
        self, registry: Registry, ref: reference.Reference, desc: Descriptor, report: Any
    ) -> None:
        """Fetch the blob `desc` into the content store (resuming an earlier attempt), verified."""
        if self._images.content.exists(desc.digest):
            return
        writer = self._images.content.writer(f"layer-{desc.digest}")
        try:
            last, first = 0, True
            async for chunk, resumed in registry.blob(ref.path, desc.digest, writer.offset):
                if first and writer.offset and not resumed:
                    writer.restart()  # the server sent the whole blob, not the rest of it
                first = False
                writer.write(chunk)
                if report is not None and writer.offset - last >= PROGRESS_EVERY:
                    last = writer.offset
                    report(writer.offset)
        except BaseException:
            writer.close()  # keep the bytes: the next pull resumes from them
            raise
        writer.commit(desc.digest, desc.size if desc.size else -1)

    def _store_bytes(self, data: bytes, digest: str) -> None:
        if not self._images.content.exists(digest):
            writer = self._images.content.writer(f"manifest-{digest}")
            writer.write(data)
            writer.commit(digest)


async def _finish(work: Coroutine[Any, Any, T]) -> T:
    """Await `work`; if we are cancelled meanwhile, let it finish before giving up, so that
    what it commits exists when the failed pull collects its garbage (no late commit)."""
    step = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(step)
    except asyncio.CancelledError:
        await asyncio.wait([step])
        raise


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of a (nested) exception group: the error that ended the TaskGroup."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


def _select(index: dict[str, Any], wanted: Platform, ref: reference.Reference) -> dict[str, Any]:
    for entry in index.get("manifests", []):
        if wanted.matches(entry.get("platform", {})):
            return entry
    name = f"{wanted.os}/{wanted.architecture}" + (f"/{wanted.variant}" if wanted.variant else "")
    raise NotFound(
        f"no matching manifest for {name} in the manifest list entries of {reference.familiar(str(ref))}"
    )


def _verify(data: bytes, digest: str) -> None:
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise DigestMismatch(f"manifest verification failed for digest {digest}: got {actual}")


def _credentials(auth: Any) -> Credentials:
    if auth is None:
        return Credentials()
    return Credentials(auth.username, auth.password, auth.identity_token, auth.registry_token)
