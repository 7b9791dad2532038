"""Fetching one blob into the content store: never more than its descriptor says, resumed
from an earlier attempt's bytes (HTTP Range), verified before it becomes visible.

    ingest has every byte?  → verify and commit it (or, if it fails, start again from zero)
    ingest has some bytes   → ask for the rest; a server that sends the whole blob instead (200)
                              or cannot serve the range (416) → start again from zero
    the connection drops    → ask for the rest again (three times, with backoff)
    a byte past the size    → refused at once, the partial dropped (an endless or hostile blob)
    verification fails      → the partial dropped
    the disk is full        → the partial dropped, ResourceExhausted
    the pull is cancelled   → the partial kept (bounded by the size), for the next pull

The caller holds the blob's lock (`content.Locks`), so one fetch of a blob runs at a time.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from dockyard.api.errors import DigestMismatch, ResourceExhausted
from dockyard.api.tasks import finish
from dockyard.services.images.content import ContentStore, Writer
from dockyard.services.images.registry import BACKOFF, Dropped, RangeNotSatisfiable
from dockyard.services.images.schema import Descriptor

PROGRESS_EVERY = 512 * 1024
Report = Callable[[int], None]


class BlobSource(Protocol):
    """Where blobs come from (`registry.Registry`): chunks from `offset`, and whether the
    server resumed there (206) rather than sending the whole blob."""

    def blob(
        self, repository: str, digest: str, offset: int = 0
    ) -> AsyncIterator[tuple[bytes, bool]]: ...


async def fetch_blob(
    registry: BlobSource,
    repository: str,
    desc: Descriptor,
    content: ContentStore,
    report: Report | None = None,
) -> None:
    """Make `desc` a committed blob of `content` (a no-op when it is one already)."""
    if content.exists(desc.digest):
        return
    writer = content.writer(f"layer-{desc.digest}")
    try:
        if writer.offset >= desc.size and _committed(writer, desc):
            return  # a complete ingest an earlier (killed) pull did not get to commit
        await _download(registry, repository, desc, writer, report)
    except DigestMismatch:
        writer.abort()
        raise
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            writer.close()
            raise
        writer.abort()  # a partial on a full disk only keeps it full
        raise ResourceExhausted(f"write {desc.digest}: no space left on device") from None
    except BaseException:
        writer.close()  # keep the bytes: the next pull resumes from them
        raise
    # in a worker thread too: the fsync of a big blob would stall the event loop, and with it
    # the other downloads and every RPC, for as long as the disk takes (long when it is busy)
    await finish(asyncio.to_thread(writer.commit, desc.digest, desc.size))


def _committed(writer: Writer, desc: Descriptor) -> bool:
    """Commit a complete ingest if it verifies; otherwise forget it, to fetch it again."""
    if writer.offset == desc.size and writer.digest == desc.digest:
        writer.commit(desc.digest, desc.size)
        return True
    writer.restart()
    return False


async def _download(
    registry: BlobSource, repository: str, desc: Descriptor, writer: Writer, report: Report | None
) -> None:
    """Append the rest of the blob, resuming where a dropped connection left it."""
    for delay in (*BACKOFF, None):
        try:
            await _resumed(registry, repository, desc, writer, report)
            return
        except Dropped:
            if delay is None:
                raise
            await asyncio.sleep(delay)


async def _resumed(
    registry: BlobSource, repository: str, desc: Descriptor, writer: Writer, report: Report | None
) -> None:
    try:
        await _append(registry, repository, desc, writer, report)
    except RangeNotSatisfiable:
        writer.restart()  # the registry cannot resume there: from zero
        await _append(registry, repository, desc, writer, report)


async def _append(
    registry: BlobSource, repository: str, desc: Descriptor, writer: Writer, report: Report | None
) -> None:
    last, first = writer.offset, True
    async for chunk, resumed in registry.blob(repository, desc.digest, writer.offset):
        if first and writer.offset and not resumed:
            writer.restart()  # the server sent the whole blob, not the rest of it
        first = False
        if writer.offset + len(chunk) > desc.size:
            raise DigestMismatch(
                f"failed to verify blob {desc.digest}: it is longer than the {desc.size} bytes "
                "its descriptor says"
            )
        # in a worker thread: hashing and writing leave the event loop free (a fast registry
        # would otherwise starve it: no RPC served, not even the cancel of this very pull)
        await asyncio.to_thread(writer.write, chunk)
        if report is not None and writer.offset - last >= PROGRESS_EVERY:
            last = writer.offset
            report(writer.offset)
