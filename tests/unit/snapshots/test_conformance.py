"""What any snapshotter must do (containerd's `testsuite`), run against each implementation.

The metadata and layout half needs no root: kinds, parents, commits, views, removal, the
mounts returned (never made), usage, layer application into an active snapshot, and start-up
repair. What the returned mounts *show* once mounted needs root: the integration suite's
`test_snapshot_mounts.py` mounts them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zstandard
from dockyard.api.errors import (
    AlreadyExists,
    DigestMismatch,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from dockyard.services.snapshots.snapshotter import Mount, OverlaySnapshotter, Snapshotter

IMPLEMENTATIONS: dict[str, Callable[[Path], Snapshotter]] = {"overlay": OverlaySnapshotter}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def snap(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Snapshotter]:
    snapshotter = IMPLEMENTATIONS[request.param](tmp_path / "snapshots")
    yield snapshotter
    close = getattr(snapshotter, "close", None)
    if close is not None:
        close()


def upper(mounts: list[Mount]) -> Path:
    """Where an active snapshot's own changes go."""
    (mount,) = mounts
    if mount.type == "bind":
        return Path(mount.source)
    return Path(next(o for o in mount.options if o.startswith("upperdir=")).split("=", 1)[1])


def lowers(mounts: list[Mount]) -> list[str]:
    (mount,) = mounts
    option = next((o for o in mount.options if o.startswith("lowerdir=")), "lowerdir=")
    return [p for p in option.split("=", 1)[1].split(":") if p]


def layer(files: dict[str, bytes], compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    return gzip.compress(raw) if compress else raw


def committed(
    snap: Snapshotter, name: str, parent: str = "", files: dict[str, bytes] | None = None
) -> None:
    """A committed layer `name` over `parent`, holding `files`."""
    key = f"extract-{name}"
    mounts = snap.prepare(key, parent, {})
    for path, data in (files or {}).items():
        target = upper(mounts) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    snap.commit(name, key, {})


def test_an_active_snapshot_without_parent_is_a_writable_bind(snap: Snapshotter) -> None:
    mounts = snap.prepare("c1", "", {"owner": "test"})
    assert [(m.type, "rw" in m.options) for m in mounts] == [("bind", True)]
    assert upper(mounts).is_dir() and list(upper(mounts).iterdir()) == []
    info = snap.stat("c1")
    assert (info.kind, info.parent, info.labels) == ("active", "", {"owner": "test"})
    assert snap.mounts("c1") == mounts


def test_keys_are_unique_and_not_empty(snap: Snapshotter) -> None:
    snap.prepare("c1", "", {})
    with pytest.raises(AlreadyExists):
        snap.prepare("c1", "", {})
    with pytest.raises(InvalidArgument):
        snap.prepare("", "", {})


def test_a_parent_must_exist_and_be_committed(snap: Snapshotter) -> None:
    with pytest.raises(NotFound):
        snap.prepare("c1", "nope", {})
    snap.prepare("active", "", {})
    with pytest.raises(FailedPrecondition, match="not committed"):
        snap.prepare("c1", "active", {})
    assert [r.key for r in snap.list()] == ["active"]


def test_commit_freezes_an_active_snapshot_under_its_name(snap: Snapshotter) -> None:
    snap.prepare("extract-1", "", {"a": "1"})
    snap.commit("sha256:one", "extract-1", {"b": "2"})
    info = snap.stat("sha256:one")
    assert (info.kind, info.labels) == ("committed", {"a": "1", "b": "2"})
    with pytest.raises(NotFound):
        snap.stat("extract-1")
    with pytest.raises(FailedPrecondition, match="committed"):
        snap.mounts("sha256:one")
    snap.view("v", "sha256:one", {})
    with pytest.raises(FailedPrecondition, match="not active"):
        snap.commit("sha256:two", "v", {})


def test_layers_stack_nearest_first(snap: Snapshotter) -> None:
    committed(snap, "base", files={"etc/base": b"1"})
    committed(snap, "mid", "base", {"etc/mid": b"2"})
    mounts = snap.prepare("container", "mid", {})
    (mount,) = mounts
    assert mount.type == "overlay"
    stack = lowers(mounts)
    assert [sorted(os.listdir(Path(p) / "etc")) for p in stack] == [["mid"], ["base"]]
    assert any(o.startswith("workdir=") for o in mount.options)
    assert upper(mounts) not in [Path(p) for p in stack]


def test_views_are_read_only(snap: Snapshotter) -> None:
    committed(snap, "base", files={"f": b"1"})
    one = snap.view("v1", "base", {})
    assert [(m.type, "ro" in m.options) for m in one] == [("bind", True)]
    assert (Path(one[0].source) / "f").read_bytes() == b"1"
    committed(snap, "mid", "base")
    two = snap.view("v2", "mid", {})
    assert two[0].type == "overlay" and len(lowers(two)) == 2
    assert not any(o.startswith("upperdir=") for o in two[0].options)
    assert snap.stat("v2").kind == "view"


def test_remove_refuses_what_another_builds_on(snap: Snapshotter) -> None:
    committed(snap, "base")
    snap.prepare("c1", "base", {})
    with pytest.raises(FailedPrecondition, match="c1 builds on it"):
        snap.remove("base")
    directory = upper(snap.mounts("c1"))
    snap.remove("c1")
    assert not directory.exists()
    snap.remove("base")
    assert snap.list() == []
    with pytest.raises(NotFound):
        snap.remove("base")


def test_usage_counts_the_own_layer_once_per_inode(snap: Snapshotter) -> None:
    mounts = snap.prepare("c1", "", {})
    empty_bytes, empty_inodes = snap.usage("c1")
    data = upper(mounts) / "data"
    data.write_bytes(b"x" * 10000)
    os.link(data, upper(mounts) / "again")
    size, inodes = snap.usage("c1")
    assert inodes == empty_inodes + 1
    assert size >= empty_bytes + 10000


def test_usage_of_the_content_counts_files_bytes_only(snap: Snapshotter) -> None:
    mounts = snap.prepare("c1", "", {})
    assert snap.usage("c1", content=True)[0] == 0
    (upper(mounts) / "etc").mkdir()
    (upper(mounts) / "etc" / "hosts").touch()  # a mount stub: no bytes, as docker's SizeRw
    data = upper(mounts) / "etc" / "data"
    data.write_bytes(b"x" * 10001)
    os.link(data, upper(mounts) / "again")
    os.symlink("etc/data", upper(mounts) / "link")
    assert snap.usage("c1", content=True)[0] == 10001 + len("etc/data")


@pytest.mark.parametrize("compress", [False, True])
def test_apply_extracts_a_layer_and_names_its_diff_id(
    snap: Snapshotter, tmp_path: Path, compress: bool
) -> None:
    raw = layer({"bin/hello": b"hi", "etc/motd": b"welcome"})
    blob = tmp_path / "blob"
    blob.write_bytes(layer({"bin/hello": b"hi", "etc/motd": b"welcome"}, compress))
    mounts = snap.prepare("extract-x", "", {})
    applied = snap.apply("extract-x", blob, "", f"sha256:{hashlib.sha256(raw).hexdigest()}")
    assert applied.diff_id == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    assert applied.size == len(b"hi") + len(b"welcome")  # docker's: the files' bytes, not the tar's
    assert (upper(mounts) / "etc" / "motd").read_bytes() == b"welcome"


def test_apply_checks_the_layer(snap: Snapshotter, tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(layer({"f": b"1"}))
    snap.prepare("extract-x", "", {})
    with pytest.raises(DigestMismatch):
        snap.apply("extract-x", blob, "", "sha256:" + "0" * 64)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x1f\x8bnot gzip at all" * 10)
    with pytest.raises(InvalidArgument, match="not a valid tar"):
        snap.apply("extract-x", garbage, "", "")
    zstd = tmp_path / "zstd"
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 10)  # zstd's magic, then no frame
    with pytest.raises(InvalidArgument, match="not a valid tar"):
        snap.apply("extract-x", zstd, "", "")
    packed = tmp_path / "packed"
    packed.write_bytes(zstandard.ZstdCompressor().compress(layer({"z": b"2"})))
    snap.apply("extract-x", packed, "application/vnd.oci.image.layer.v1.tar+zstd", "")
    assert (upper(snap.mounts("extract-x")) / "z").read_bytes() == b"2"
    committed(snap, "done")
    with pytest.raises(FailedPrecondition):
        snap.apply("done", blob, "", "")


def test_reconcile_drops_what_a_crash_left(tmp_path: Path) -> None:
    snap = OverlaySnapshotter(tmp_path / "snapshots")
    committed(snap, "base")
    snap.prepare("extract-unfinished", "base", {})
    kept = snap.prepare("container", "base", {})
    (tmp_path / "snapshots" / "snapshots" / "999").mkdir()  # a directory without a record
    snap.reconcile()
    assert sorted(r.key for r in snap.list()) == ["base", "container"]
    assert upper(kept).is_dir()
    assert not (tmp_path / "snapshots" / "snapshots" / "999").exists()
    snap.close()
