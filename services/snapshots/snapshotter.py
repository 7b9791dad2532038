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
    <root>/snapshots/snapshots/removing-<id> a snapshot being removed

Removal is restartable: the directory is renamed aside, then the record deleted; the renamed
directory is deleted by `remove` itself, or by the caller of `discard` after its reply (the
service: trash.py). A record the disk has no room to delete has the directory deleted first
(which frees the space a full disk needs) and is tried again; one whose delete the disk still
refuses is "doomed": it no longer exists for callers, its delete is retried by every later
change, and start-up (`reconcile`) finishes whatever a crash or a full disk left half-done,
renamed directories first.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dockyard.api.compression import CORRUPT, uncompressed
from dockyard.api.errors import (
    DigestMismatch,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from dockyard.services.snapshots.extract import Extractor, HashingReader
from dockyard.services.snapshots.metastore import MetaStore, Record

log = logging.getLogger("dockyard.snapshots")
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
    def usage(self, key: str, content: bool = False) -> tuple[int, int]: ...
    def apply(self, key: str, blob: Path, media_type: str, diff_id: str) -> Applied: ...


class OverlaySnapshotter:
    def __init__(self, root: Path) -> None:
        self._dir = root / "snapshots"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._meta = MetaStore(root / "metadata.db")
        self._doomed: set[str] = set()  # records to delete once the disk lets us

    def close(self) -> None:
        self._meta.close()

    def prepare(self, key: str, parent: str, labels: dict[str, str]) -> list[Mount]:
        return self._create(key, parent, labels, "active")

    def view(self, key: str, parent: str, labels: dict[str, str]) -> list[Mount]:
        return self._create(key, parent, labels, "view")

    def _create(self, key: str, parent: str, labels: dict[str, str], kind: str) -> list[Mount]:
        if not key:
            raise InvalidArgument("a snapshot key cannot be empty")
        self._retry_doomed()
        if parent and self._get(parent).kind != "committed":
            raise FailedPrecondition(f"parent snapshot {parent} is not committed")
        if key in self._doomed:
            raise ResourceExhausted(f"snapshot {key} is still being removed (the disk is full)")
        record = self._meta.add(key, kind, parent, labels)
        try:
            path = self._path(record)
            (path / "fs").mkdir(parents=True, mode=0o755)
            (path / "work").mkdir(mode=0o700)
        except OSError as err:
            shutil.rmtree(self._path(record), ignore_errors=True)
            self._forget(key)
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ResourceExhausted("no space left on device") from None
            raise
        return self._mounts(record)

    def _get(self, key: str) -> Record:
        if key in self._doomed:
            raise NotFound(f"snapshot {key} does not exist")
        return self._meta.get(key)

    def _forget(self, key: str) -> None:
        """Delete the record of `key` (its directory is gone); doomed if the disk refuses."""
        try:
            self._meta.remove(key)
        except ResourceExhausted:
            self._doomed.add(key)
            raise
        self._doomed.discard(key)

    def _retry_doomed(self) -> None:
        for key in sorted(self._doomed):
            with contextlib.suppress(ResourceExhausted):
                self._forget(key)

    def mounts(self, key: str) -> list[Mount]:
        record = self._get(key)
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
        self._retry_doomed()
        record = self._get(key)
        if record.kind != "active":
            raise FailedPrecondition(f"snapshot {key} is {record.kind}, not active")
        self._meta.commit(key, name, record.labels | labels)
        shutil.rmtree(self._path(record) / "work", ignore_errors=True)

    def remove(self, key: str) -> None:
        """Remove the snapshot, its files deleted before this returns."""
        shutil.rmtree(self.discard(key), ignore_errors=True)

    def discard(self, key: str) -> Path:
        """Remove the snapshot but for its files: its directory, renamed aside, is returned
        for the caller to delete (see trash.py; a crash first leaves it to `reconcile`). A
        record the disk has no room to delete has its files deleted at once and is tried again
        (doomed if that fails still)."""
        self._retry_doomed()
        record = self._get(key)
        children = [c for c in self._meta.children(key) if c not in self._doomed]
        if children:
            raise FailedPrecondition(
                f"cannot remove snapshot {key}: snapshot {children[0]} builds on it"
            )
        trash = self._dir / f"removing-{record.id}"
        if self._path(record).exists():
            os.replace(self._path(record), trash)
        try:
            self._forget(key)
        except ResourceExhausted:
            shutil.rmtree(trash, ignore_errors=True)  # the space the record's delete needs
            self._forget(key)
        return trash

    def stat(self, key: str) -> Record:
        return self._get(key)

    def list(self) -> list[Record]:
        return [r for r in self._meta.all() if r.key not in self._doomed]

    def usage(self, key: str, content: bool = False) -> tuple[int, int]:
        """(bytes, inodes) of the snapshot's own layer; hardlinks counted once. The bytes are
        the disk blocks of everything, or with `content` the sizes of the files only (docker's
        SizeRw: what a container wrote, directories, empty mount stubs and the /etc/mtab link
        of docker's init files taking nothing: dockerd keeps those in a layer below)."""
        size, inodes, seen = 0, 0, set()
        top = self._path(self._get(key)) / "fs"
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                info = os.lstat(path)
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                inodes += 1
                if not content:
                    size += info.st_blocks * 512
                elif not stat.S_ISDIR(info.st_mode) and not _init_link(top, path, info):
                    size += info.st_size
        return size, inodes

    def layer_dirs(self, key: str) -> tuple[Path, tuple[Path, ...]]:
        """The active snapshot's own directory and its parents', nearest first (for a diff)."""
        record = self._get(key)
        if record.kind != "active":
            raise FailedPrecondition(f"snapshot {key} is {record.kind}, not active")
        chain = self._meta.chain(record.parent) if record.parent else []
        return self._path(record) / "fs", tuple(self._path(r) / "fs" for r in chain)

    def view_dirs(self, key: str) -> tuple[Path, ...]:
        """The directories whose union the snapshot shows, its own first (any kind)."""
        record = self._get(key)
        chain = self._meta.chain(record.parent) if record.parent else []
        return tuple(self._path(r) / "fs" for r in (record, *chain))

    def apply(self, key: str, blob: Path, media_type: str, diff_id: str) -> Applied:
        record = self._get(key)
        if record.kind != "active":
            raise FailedPrecondition(f"cannot apply a layer to {record.kind} snapshot {key}")
        lowers = (
            [self._path(r) / "fs" for r in self._meta.chain(record.parent)] if record.parent else []
        )
        with open(blob, "rb") as raw:
            stream = HashingReader(uncompressed(raw))
            try:
                with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
                    Extractor(self._path(record) / "fs", lowers).apply(tar)
                stream.drain()
            except (tarfile.TarError, *CORRUPT) as err:
                raise InvalidArgument(
                    f"layer {blob.name[:19]} is not a valid tar archive: {err}"
                ) from None
        computed = f"sha256:{stream.digest.hexdigest()}"
        if diff_id and computed != diff_id:
            raise DigestMismatch(f"layer diff ID mismatch: expected {diff_id}, got {computed}")
        return Applied(computed, self.usage(key, content=True)[0])  # docker's layer size

    def reconcile(self) -> None:
        """After a crash or a full disk: finish removals (trash first: it frees the space the
        rest needs), drop unfinished extractions and records without dirs (leaves first, until
        none is left), then orphaned dirs. A record the disk still will not let go is doomed."""
        for trash in self._dir.glob("removing-*"):
            shutil.rmtree(trash, ignore_errors=True)
        while any(self._reconcile_one(r) for r in self._meta.all() if r.key not in self._doomed):
            pass
        known = {str(r.id) for r in self._meta.all()}
        for path in self._dir.iterdir():
            if path.name not in known:
                shutil.rmtree(path, ignore_errors=True)

    def _reconcile_one(self, record: Record) -> bool:
        """Remove `record` if a crash left it half-made; whether it did."""
        if [c for c in self._meta.children(record.key) if c not in self._doomed]:
            return False
        unfinished = record.kind == "active" and record.key.startswith(EXTRACT_PREFIX)
        if not unfinished and (self._path(record) / "fs").is_dir():
            return False
        try:
            self.remove(record.key)
        except ResourceExhausted:
            log.warning("the disk is full: snapshot %s is removed later", record.key)
        return True

    def _path(self, record: Record) -> Path:
        return self._dir / str(record.id)


def _init_link(top: Path, path: str, info: os.stat_result) -> bool:
    """The /etc/mtab → /proc/mounts link the runtime gives a container (docker's init file)."""
    return (
        stat.S_ISLNK(info.st_mode)
        and path == str(top / "etc" / "mtab")
        and os.readlink(path) == "/proc/mounts"
    )
