"""save and load: the images service's side of `docker save` and `docker load`.

    save(refs)          the images `refs` name, as one tar (`archive_out`): each under the
                        names asked for (a name saves that name; an ID saves no name)
    load(chunks)        the tar spooled to the ingest directory, read (`archive_in`), each
                        image made (`Authoring.create`): "Loaded image: busybox:latest", or
                        "Loaded image ID: sha256:…" for one without a name; a name that
                        named another image is said first, as docker says it ("The image
                        busybox:latest already exists, renaming the old one with ID …")

What a save reads and a load writes is leased until it is done, so a concurrent `rmi` cannot
collect it; a load that fails leaves nothing but the blobs other images use (and its spool
goes whatever happens).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from dockyard.api.errors import DockyardError, InvalidArgument, NotFound
from dockyard.services.images import archive_out, reference, schema
from dockyard.services.images.archive_in import Archive, Loadable, verify_diff_id
from dockyard.services.images.authoring import Authoring
from dockyard.services.images.content import full_disk_is_exhaustion
from dockyard.services.images.images import Images, Progress, host_arch
from dockyard.services.images.jobs import Report, finish
from dockyard.services.images.resolve import Platform
from dockyard.services.images.unpack import chain_ids


class Archives:
    def __init__(self, images: Images) -> None:
        self._images = images

    async def save(self, refs: list[str]) -> AsyncIterator[bytes]:
        if not refs:
            raise InvalidArgument("save needs at least one image")
        saved = self._saved(refs)
        blobs = {}
        for item in saved:
            for digest in (item.image.id, item.image.manifest.digest, *item.image.blobs):
                blobs[digest] = self._blob(item, digest)
        with self._images.lease(set(blobs)):
            members = await asyncio.to_thread(archive_out.members, saved, blobs)
            async for piece in archive_out.stream(members):
                yield piece

    def _saved(self, refs: list[str]) -> list[archive_out.Saved]:
        found: dict[str, archive_out.Saved] = {}
        for ref in refs:
            image = self._images.get(ref)
            item = found.setdefault(image.id, archive_out.Saved(image, []))
            name = _name_of(ref, image.names)
            if name and name not in item.names:
                item.names.append(name)
        return list(found.values())

    def _blob(self, item: archive_out.Saved, digest: str) -> Path:
        try:
            return self._images.content.path(digest)
        except NotFound:
            raise NotFound(
                f"image {item.image.id[7:19]}: its blob {digest} is not here "
                "(pull the image again to save it)"
            ) from None

    async def load(self, chunks: AsyncIterator[bytes], report: Report) -> Progress:
        spool = self._images.content.ingest_dir / f"spool-{secrets.token_hex(8)}"
        spool.mkdir(mode=0o700)
        try:
            with full_disk_is_exhaustion():
                path = spool / "archive.tar"
                await _write(path, chunks)
                return await self._load(path, report)
        finally:  # finish: a cancelled to_thread that has not started never runs at all
            await finish(asyncio.to_thread(shutil.rmtree, spool, True))

    async def _load(self, path: Path, report: Report) -> Progress:
        stacks: list[list[str]] = []  # the layer snapshots each image may have unpacked
        try:
            return await self._load_from(path, report, stacks)
        except BaseException:
            # nothing half-stored: the blobs copied in and the layers unpacked that no image
            # uses go again
            await asyncio.shield(self._collect(stacks))
            raise

    async def _collect(self, stacks: list[list[str]]) -> None:
        await self._images.collect([])
        for chains in stacks:
            await self._images.collect(chains)

    async def _load_from(self, path: Path, report: Report, stacks: list[list[str]]) -> Progress:
        platform = Platform("linux", host_arch())
        lines: list[Progress] = []
        with self._images.lease(set()) as held:
            archive = await asyncio.to_thread(Archive, path, self._images.content, platform)
            try:
                found = await _copied_in(archive, held.add)
            finally:
                archive.close()
            if not found:
                raise InvalidArgument("the archive holds no image for this platform")
            authoring = Authoring(self._images)
            for image in found:
                diff_ids = self._diff_ids(image.config)
                stacks.append(chain_ids(diff_ids))
                await self._verify_unpacked(image, diff_ids)
                before = {
                    n: self._images.store.image_of(reference.parse(n).name) for n in image.names
                }
                record = await authoring.create(image.config, image.layers, image.names, [])
                for line in _loaded(record.id, before):
                    if lines:
                        report(lines[-1])
                    lines.append(Progress("", line, image=record))
        return lines[-1]

    def _diff_ids(self, config: str) -> list[str]:
        """The diff IDs the image's config lists ([] if it is not a valid config)."""
        try:
            return schema.diff_ids(schema.parse_config(self._images.content.read(config)))
        except DockyardError:
            return []

    async def _verify_unpacked(self, image: Loadable, diff_ids: list[str]) -> None:
        """A layer already unpacked here is not unpacked again, which would have checked it:
        its blob from the archive is checked against the config's diff ID here instead."""
        chains = chain_ids(diff_ids)
        for layer, diff_id, chain in zip(image.layers, diff_ids, chains, strict=False):
            if await self._images.layers.exists(chain):
                blob = self._images.content.path(layer.digest)
                await asyncio.to_thread(verify_diff_id, blob, diff_id)


async def _copied_in(archive: Archive, keep: Callable[[str], None]) -> list[Loadable]:
    """`archive.images` in a thread. If the load is cancelled meanwhile, the archive is closed
    under the thread (its next read fails and drops its half-copied blob) and the thread is
    waited for: nothing it copies in may land after the failed load has collected."""
    reading = asyncio.ensure_future(asyncio.to_thread(archive.images, keep))
    try:
        return await asyncio.shield(reading)
    except asyncio.CancelledError:
        archive.close()
        await asyncio.wait([reading])
        reading.exception()  # the thread's error (reading a closed archive) is no news
        raise


def _loaded(image_id: str, before: dict[str, str | None]) -> list[str]:
    """What a load says of one image; `before` maps each of its names to the image that name
    named before the load (None: no image)."""
    if not before:
        return [f"Loaded image ID: {image_id}"]
    lines = []
    for name, previous in before.items():
        if previous is not None and previous != image_id:
            lines.append(
                f"The image {reference.familiar(name)} already exists, "
                f"renaming the old one with ID {previous} to empty string"
            )
        lines.append(f"Loaded image: {reference.familiar(name)}")
    return lines


def _name_of(ref: str, names: list[str]) -> str:
    """The full name `ref` is, if it names the image by a name (not an ID)."""
    if reference.is_digest_prefix(ref):
        return ""
    try:
        parsed = reference.parse(ref)
    except InvalidArgument:
        return ""
    return parsed.name if parsed.tag and parsed.name in names else ""


async def _write(path: Path, chunks: AsyncIterator[bytes]) -> None:
    """The archive, spooled. Opened here (a quick local create), and each write waited for
    even when the load is cancelled: a thread still opening or writing would make its file
    after the spool's removal had listed the directory, and the spool would stay."""
    with path.open("wb") as f:  # a create in a local directory: quick
        async for chunk in chunks:
            await finish(asyncio.to_thread(f.write, chunk))
