"""Fetching a blob: bounded by its descriptor, resumed by range, verified, partials handled."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dockyard.api.errors import DigestMismatch
from dockyard.services.images.content import ContentStore
from dockyard.services.images.fetch import fetch_blob
from dockyard.services.images.registry import RangeNotSatisfiable
from dockyard.services.images.schema import Descriptor

BLOB = bytes(range(256)) * 64  # 16 KiB
DESC = Descriptor(
    "application/vnd.oci.image.layer.v1.tar",
    "sha256:" + hashlib.sha256(BLOB).hexdigest(),
    len(BLOB),
)


class Source:
    """A registry's blob endpoint: serves `data` (a range when `ranges`), records offsets."""

    def __init__(self, data: bytes = BLOB, ranges: bool = True, endless: bool = False) -> None:
        self.data, self.ranges, self.endless = data, ranges, endless
        self.asked: list[int] = []
        self.sent = 0
        self.stall: asyncio.Event | None = None
        self.sending = asyncio.Event()

    async def blob(
        self, repository: str, digest: str, offset: int = 0
    ) -> AsyncIterator[tuple[bytes, bool]]:
        self.asked.append(offset)
        if offset and self.ranges == "416":
            raise RangeNotSatisfiable("416")
        start = offset if self.ranges else 0
        body = self.data[start:]
        while True:
            for i in range(0, len(body), 4096):
                self.sent += len(body[i : i + 4096])
                yield body[i : i + 4096], bool(offset and self.ranges)
                self.sending.set()
                if self.stall is not None:
                    await self.stall.wait()
            if not self.endless:
                return


def ingest(store: ContentStore) -> Path:
    return store._ingest / f"layer-{DESC.digest}".replace(":", "-")


def leave_partial(store: ContentStore, data: bytes) -> None:
    writer = store.writer(f"layer-{DESC.digest}")
    writer.write(data)
    writer.close()


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path)


async def test_a_blob_is_fetched_verified_and_committed(store: ContentStore) -> None:
    source = Source()
    reports: list[int] = []
    await fetch_blob(source, "r", DESC, store, reports.append)
    assert store.read(DESC.digest) == BLOB and not ingest(store).exists()
    await fetch_blob(source, "r", DESC, store)
    assert source.asked == [0]  # committed: never fetched again


async def test_an_endless_blob_stops_at_its_size_and_is_dropped(store: ContentStore) -> None:
    source = Source(endless=True)
    with pytest.raises(DigestMismatch, match="longer than the 16384 bytes its descriptor says"):
        await fetch_blob(source, "r", DESC, store)
    assert source.sent <= len(BLOB) + 4096
    assert not ingest(store).exists() and not store.exists(DESC.digest)


async def test_a_blob_that_does_not_verify_is_dropped(store: ContentStore) -> None:
    with pytest.raises(DigestMismatch, match="failed to verify blob"):
        await fetch_blob(Source(data=b"x" * len(BLOB)), "r", DESC, store)
    with pytest.raises(DigestMismatch):
        await fetch_blob(Source(data=BLOB[:100]), "r", DESC, store)  # too short
    assert not ingest(store).exists()


async def test_a_cancelled_fetch_keeps_its_bytes_and_the_next_resumes(store: ContentStore) -> None:
    source = Source()
    source.stall = asyncio.Event()
    task = asyncio.create_task(fetch_blob(source, "r", DESC, store))
    await source.sending.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ingest(store).joinpath("data").read_bytes() == BLOB[:4096]
    source.stall = None
    await fetch_blob(source, "r", DESC, store)
    assert source.asked == [0, 4096] and store.read(DESC.digest) == BLOB


async def test_a_server_that_ignores_the_range_restarts_the_blob(store: ContentStore) -> None:
    leave_partial(store, BLOB[:5000])
    source = Source(ranges=False)
    await fetch_blob(source, "r", DESC, store)
    assert source.asked == [5000] and store.read(DESC.digest) == BLOB


async def test_a_416_restarts_the_blob_from_zero(store: ContentStore) -> None:
    leave_partial(store, BLOB[:5000])
    source = Source(ranges="416")  # type: ignore[arg-type]
    await fetch_blob(source, "r", DESC, store)
    assert source.asked == [5000, 0] and store.read(DESC.digest) == BLOB


async def test_a_complete_ingest_is_committed_without_asking(store: ContentStore) -> None:
    leave_partial(store, BLOB)
    source = Source()
    await fetch_blob(source, "r", DESC, store)
    assert source.asked == [] and store.read(DESC.digest) == BLOB


@pytest.mark.parametrize("junk", [b"y" * len(BLOB), BLOB + b"tail"])
async def test_a_complete_ingest_that_fails_verification_is_fetched_again(
    store: ContentStore, junk: bytes
) -> None:
    leave_partial(store, junk)
    source = Source()
    await fetch_blob(source, "r", DESC, store)
    assert source.asked == [0] and store.read(DESC.digest) == BLOB
