"""The content store: blobs addressed by their sha256 digest, shared by every image.

    <root>/images/blobs/sha256/<hex>     committed blobs (immutable, read-only)
    <root>/images/ingest/<ref>/data      a blob being written (resumable: appended to)

A blob becomes visible only by `Writer.commit`, which checks its size and digest, fsyncs and
renames it into place: a failed or interrupted download is never served. Ingests are named by
a stable ref ("layer-sha256:<hex>") so a second download of the same blob resumes the first's
bytes; `Locks` makes two concurrent pulls of one blob meet, one waiting for the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from dockyard.api.errors import DigestMismatch, InvalidArgument, NotFound, ResourceExhausted

CHUNK = 1 << 20


class ContentStore:
    def __init__(self, root: Path) -> None:
        self._blobs = root / "blobs" / "sha256"
        self._ingest = root / "ingest"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._ingest.mkdir(parents=True, exist_ok=True)

    @property
    def ingest_dir(self) -> Path:
        """Where ingests live (and other work files that clean_ingests sweeps if left)."""
        return self._ingest

    def path(self, digest: str) -> Path:
        path = self._blobs / _hex(digest)
        if not path.exists():
            raise NotFound(f"blob {digest} not found")
        return path

    def exists(self, digest: str) -> bool:
        return (self._blobs / _hex(digest)).exists()

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def writer(self, ref: str) -> Writer:
        return Writer(self, self._ingest / ref.replace("/", "_").replace(":", "-"))

    def delete(self, digest: str) -> None:
        (self._blobs / _hex(digest)).unlink(missing_ok=True)

    def digests(self) -> set[str]:
        return {f"sha256:{p.name}" for p in self._blobs.iterdir() if not p.name.startswith(".")}

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def clean_ingests(self, older_than: float = 24 * 3600) -> None:
        """Drop ingests nobody has touched for `older_than` seconds (their pull died)."""
        cutoff = time.time() - older_than
        for ingest in self._ingest.iterdir():
            if ingest.stat().st_mtime < cutoff:
                shutil.rmtree(ingest, ignore_errors=True)

    def _commit(self, data: Path, digest: str) -> None:
        final = self._blobs / _hex(digest)
        os.chmod(data, 0o444)
        os.replace(data, final)
        dirfd = os.open(self._blobs, os.O_DIRECTORY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)


class Writer:
    """Appends to one ingest, hashing as it goes; `commit` or `abort` ends it."""

    def __init__(self, store: ContentStore, directory: Path) -> None:
        self._store = store
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._data = self._dir / "data"
        self._hash = hashlib.sha256()
        self.offset = 0
        if self._data.exists():  # resume: account for what an earlier attempt wrote
            with open(self._data, "rb") as f:
                while chunk := f.read(CHUNK):
                    self._hash.update(chunk)
                    self.offset += len(chunk)
        # unbuffered: what was written is in the file (a resume, a kill, the size as a marker)
        self._file = open(self._data, "ab", buffering=0)  # noqa: SIM115 - closed by commit/abort

    def restart(self) -> None:
        """Forget what was written (the server would not resume)."""
        self._file.truncate(0)
        self._file.seek(0)
        self._hash = hashlib.sha256()
        self.offset = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # an unbuffered write may take only part of it
            view = view[self._file.write(view) :]
        self._hash.update(data)
        self.offset += len(data)

    @property
    def digest(self) -> str:
        return f"sha256:{self._hash.hexdigest()}"

    def commit(self, expected: str = "", size: int = -1) -> str:
        """Make the blob visible, after checking its digest (and size, when given)."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        actual = self.digest
        if (expected and actual != expected) or (size >= 0 and self.offset != size):
            self.abort()
            raise DigestMismatch(
                f"failed to verify blob {expected or '?'}: got digest {actual} and {self.offset} bytes"
                + (f", expected {size}" if size >= 0 else "")
            )
        self._store._commit(self._data, actual)
        shutil.rmtree(self._dir, ignore_errors=True)
        return actual

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def close(self) -> None:
        """Stop writing but keep the bytes, so a later attempt resumes from here."""
        if not self._file.closed:
            self._file.close()


@contextlib.contextmanager
def full_disk_is_exhaustion() -> Iterator[None]:
    """A write the disk has no room for becomes ResourceExhausted, one clear line."""
    try:
        yield
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise ResourceExhausted("no space left on device") from None


class Locks:
    """One asyncio lock per key: concurrent downloads of one blob take turns."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __call__(self, key: str) -> asyncio.Lock:
        return self._locks[key]


def _hex(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    if (
        algorithm != "sha256"
        or len(hexdigest) != 64
        or not all(c in "0123456789abcdef" for c in hexdigest)
    ):
        raise InvalidArgument(f"unsupported or malformed digest: {digest}")
    return hexdigest
