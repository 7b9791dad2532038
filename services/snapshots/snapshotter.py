"""The overlayfs snapshotter (containerd's model), behind a small `Snapshotter` interface.

Lifecycle: `prepare(key, parent)` makes an active (writable) snapshot over a committed one and
returns the mounts that present it; a layer is applied into it (`apply`) or a container writes
to it; `commit(name, key)` freezes it as `name` (the images service names layers by chain ID);
`view` is a read-only prepare; `remove` deletes what nothing builds on. It never mounts for a
container: it returns mount descriptions, and the shim mounts them in the container's own
mount namespace.

    <root>/snapshots/metadata.db
    <root>/snapshots/snapshots/<id>/fs      the snapshot's own layer (overlay upperdir)
    <root>/snapshots/snapshots/<id>/work    overlay's workdir (active snapshots with parents)
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from dockyard.api.errors import DigestMismatch, FailedPrecondition, InvalidArgument
from dockyard.services.snapshots.extract import Extractor, HashingReader
from dockyard.services.snapshots.metastore import MetaStore, Record

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
EXTRACT_PREFIX = "extract-"


@dataclass(frozen=True)
class Mount:
    type: str
    source: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Applied:
    diff_id: str
    size: int


class Snapshotter(Protocol):
    def prepare(self, key: str, parent: str, labels: dict[str, str]) -> list[Mount]: ...
    def view(self, key: str, parent: str, labels: dict[str, str]) -> list[Mount]: ...
    def mounts(self, key: str) -> list[Mount]: ...
    def commit(self, name: str, key: str, labels: dict[str, str]) -> None: ...
    def remove(self, key: str) -> None: ...
    def stat(self, key: str) -> Record: ...
    def list(self) -> list[Record]: ...
    def usage(self, key: str) -> tuple[int, int]: ...
    def apply(self, key: str, blob: Path, media_type: str, diff_id: str) -> Applied: ...


class OverlaySnapshotter:
    def __init__(self, root: Path) -> None:
        self._dir = root / "snapshots"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._meta = MetaStore(root / "metadata.db")

    def close(self) -> None:
        self._meta.close()

    def prepare(self, key: str, parent: str, labels: dict[str, str]) -> list[Mount]:
        return self._create(key, parent, labels, "active")

    def view(self, key: str, parent: str, labels: dict[str, str]) -> list[Mount]:
        return self._create(key, parent, labels, "view")

    def _create(self, key: str, parent: str, labels: dict[str, str], kind: str) -> list[Mount]:
        if not key:
            raise InvalidArgument("a snapshot key cannot be empty")
        if parent and self._meta.get(parent).kind != "committed":
            raise FailedPrecondition(f"parent snapshot {parent} is not committed")
        record = self._meta.add(key, kind, parent, labels)
        try:
            path = self._path(record)
            (path / "fs").mkdir(parents=True, mode=0o755)
            (path / "work").mkdir(mode=0o700)
        except BaseException:
            self._meta.remove(key)
            shutil.rmtree(self._path(record), ignore_errors=True)
            raise
        return self._mounts(record)

    def mounts(self, key: str) -> list[Mount]:
        record = self._meta.get(key)
        if record.kind == "committed":
            raise FailedPrecondition(f"snapshot {key} is committed: prepare or view it instead")
        return self._mounts(record)

    def _mounts(self, record: Record) -> list[Mount]:
        lowers = (
            [str(self._path(r) / "fs") for r in self._meta.chain(record.parent)]
            if record.parent
            else []
        )
        own = str(self._path(record) / "fs")
        if record.kind == "view":
            if len(lowers) == 1:
                return [Mount("bind", lowers[0], ("ro", "rbind"))]
            if not lowers:
                return [Mount("bind", own, ("ro", "rbind"))]
            return [Mount("overlay", "overlay", (f"lowerdir={':'.join(lowers)}",))]
        if not lowers:
            return [Mount("bind", own, ("rw", "rbind"))]
        work = str(self._path(record) / "work")
        return [
            Mount(
                "overlay",
                "overlay",
                (f"lowerdir={':'.join(lowers)}", f"upperdir={own}", f"workdir={work}"),
            )
        ]

    def commit(self, name: str, key: str, labels: dict[str, str]) -> None:
        record = self._meta.get(key)
        if record.kind != "active":
            raise FailedPrecondition(f"snapshot {key} is {record.kind}, not active")
        self._meta.commit(key, name, record.labels | labels)
        shutil.rmtree(self._path(record) / "work", ignore_errors=True)

    def remove(self, key: str) -> None:
        record = self._meta.get(key)
        children = self._meta.children(key)
        if children:
            raise FailedPrecondition(
                f"cannot remove snapshot {key}: snapshot {children[0]} builds on it"
            )
        trash = self._dir / f"removing-{record.id}"
        if self._path(record).exists():
            os.replace(self._path(record), trash)
        self._meta.remove(key)
        shutil.rmtree(trash, ignore_errors=True)

    def stat(self, key: str) -> Record:
        return self._meta.get(key)

    def list(self) -> list[Record]:
        return self._meta.all()

    def usage(self, key: str) -> tuple[int, int]:
        """(bytes, inodes) of the snapshot's own layer; hardlinks counted once."""
        size, inodes, seen = 0, 0, set()
        for dirpath, dirnames, filenames in os.walk(self._path(self._meta.get(key)) / "fs"):
            for name in dirnames + filenames:
                info = os.lstat(os.path.join(dirpath, name))
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                inodes += 1
                size += info.st_blocks * 512
        return size, inodes

    def apply(self, key: str, blob: Path, media_type: str, diff_id: str) -> Applied:
        record = self._meta.get(key)
        if record.kind != "active":
            raise FailedPrecondition(f"cannot apply a layer to {record.kind} snapshot {key}")
        lowers = (
            [self._path(r) / "fs" for r in self._meta.chain(record.parent)] if record.parent else []
        )
        with open(blob, "rb") as raw:
            stream = HashingReader(_decompressed(raw, media_type, blob))
            try:
                with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
                    Extractor(self._path(record) / "fs", lowers).apply(tar)
                stream.drain()
            except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as err:
                raise InvalidArgument(
                    f"layer {blob.name[:19]} is not a valid tar archive: {err}"
                ) from None
        computed = f"sha256:{stream.digest.hexdigest()}"
        if diff_id and computed != diff_id:
            raise DigestMismatch(f"layer diff ID mismatch: expected {diff_id}, got {computed}")
        return Applied(computed, stream.size)

    def reconcile(self) -> None:
        """After a crash: drop unfinished extractions, orphaned dirs, records without dirs."""
        known = {}
        for record in self._meta.all():
            if (
                record.kind == "active"
                and record.key.startswith(EXTRACT_PREFIX)
                and not self._meta.children(record.key)
            ):
                self.remove(record.key)
            elif not (self._path(record) / "fs").is_dir() and not self._meta.children(record.key):
                self._meta.remove(record.key)
            else:
                known[str(record.id)] = record
        for path in self._dir.iterdir():
            if path.name not in known:
                shutil.rmtree(path, ignore_errors=True)

    def _path(self, record: Record) -> Path:
        return self._dir / str(record.id)


def _decompressed(raw: BinaryIO, media_type: str, blob: Path) -> BinaryIO:
    magic = raw.read(4)
    raw.seek(0)
    if magic.startswith(ZSTD_MAGIC) or "zstd" in media_type:
        raise InvalidArgument(f"unsupported layer compression (zstd): {media_type or blob.name}")
    if magic.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw
