"""The content store: a blob is visible only once committed with its digest and size checked;
an interrupted ingest resumes; a bad one never shows."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from dockyard.api.errors import DigestMismatch, InvalidArgument, NotFound
from dockyard.services.images.content import ContentStore, Locks


def digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path / "images")


def test_a_committed_blob_is_read_back_read_only(store: ContentStore) -> None:
    writer = store.writer("layer-1")
    writer.write(b"hello ")
    writer.write(b"world")
    assert not store.exists(digest(b"hello world"))  # not before the commit
    assert writer.commit(digest(b"hello world"), size=11) == digest(b"hello world")
    assert store.read(digest(b"hello world")) == b"hello world"
    assert store.size(digest(b"hello world")) == 11
    assert store.path(digest(b"hello world")).stat().st_mode & 0o777 == 0o444
    assert store.digests() == {digest(b"hello world")}


@pytest.mark.parametrize("expected, size", [(digest(b"other"), -1), ("", 99)])
def test_a_wrong_digest_or_size_is_never_committed(
    store: ContentStore, expected: str, size: int
) -> None:
    writer = store.writer("layer-2")
    writer.write(b"payload")
    with pytest.raises(DigestMismatch, match="failed to verify"):
        writer.commit(expected, size)
    assert store.digests() == set()
    again = store.writer("layer-2")
    assert again.offset == 0  # the bad bytes are gone too
    again.abort()


def test_an_interrupted_ingest_resumes_where_it_stopped(store: ContentStore) -> None:
    first = store.writer("layer-sha256:abc")
    first.write(b"first half,")
    first.close()  # the download died
    second = store.writer("layer-sha256:abc")
    assert second.offset == len(b"first half,")
    second.write(b" second half")
    assert second.commit(digest(b"first half, second half")) == digest(b"first half, second half")


def test_restart_forgets_what_was_written(store: ContentStore) -> None:
    writer = store.writer("layer-3")
    writer.write(b"stale")
    writer.restart()
    writer.write(b"fresh")
    assert writer.commit() == digest(b"fresh")


def test_abort_leaves_nothing(store: ContentStore, tmp_path: Path) -> None:
    writer = store.writer("layer/4:x")
    writer.write(b"x")
    writer.abort()
    assert list((tmp_path / "images" / "ingest").iterdir()) == []


def test_missing_and_malformed_digests(store: ContentStore) -> None:
    with pytest.raises(NotFound):
        store.path(digest(b"nothing"))
    for bad in ("md5:abc", "sha256:xyz", "sha256:" + "A" * 64):
        with pytest.raises(InvalidArgument, match="malformed digest"):
            store.exists(bad)
    store.delete(digest(b"nothing"))  # deleting what is not there is fine


def test_old_ingests_are_cleaned(store: ContentStore, tmp_path: Path) -> None:
    store.writer("old").close()
    store.writer("new").close()
    old = tmp_path / "images" / "ingest" / "old"
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store.clean_ingests(older_than=3600)
    assert [p.name for p in (tmp_path / "images" / "ingest").iterdir()] == ["new"]


async def test_locks_are_one_per_key() -> None:
    locks = Locks()
    assert locks("a") is locks("a")
    assert locks("a") is not locks("b")
