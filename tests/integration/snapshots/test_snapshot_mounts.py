"""What the overlay snapshotter's mounts show once mounted (the root half of the conformance
suite in tests/unit/snapshots/test_conformance.py, which checks the mounts it returns without
making them): layers stacked nearest first, writes kept in the active snapshot's own directory,
deletions as whiteouts that leave the layers below untouched, views read-only."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.services.snapshots.snapshotter import Mount, OverlaySnapshotter

from tests.unit.snapshots.test_conformance import committed, upper

pytestmark = pytest.mark.integration


@pytest.fixture
def snap(tmp_path: Path) -> Iterator[OverlaySnapshotter]:
    snapshotter = OverlaySnapshotter(tmp_path / "snapshots")
    yield snapshotter
    close = getattr(snapshotter, "close", None)
    if close is not None:
        close()


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[list[Path]]:
    """Targets mounted by the test, unmounted after it (even when it fails)."""
    targets: list[Path] = []
    yield targets
    for target in reversed(targets):
        subprocess.run(["umount", "-l", str(target)], check=False)


def mount(mounts: list[Mount], target: Path, made: list[Path]) -> Path:
    (m,) = mounts
    target.mkdir()
    if m.type == "bind":
        subprocess.run(["mount", "--bind", m.source, str(target)], check=True)
        made.append(target)
        if "ro" in m.options:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
    else:
        options = ",".join(m.options)
        subprocess.run(["mount", "-t", m.type, "-o", options, m.source, str(target)], check=True)
        made.append(target)
    return target


def test_layers_show_nearest_first_and_writes_stay_in_the_active_snapshot(
    snap: OverlaySnapshotter, tmp_path: Path, mounted: list[Path]
) -> None:
    committed(snap, "base", files={"etc/name": b"base", "etc/kept": b"kept", "gone": b"x"})
    committed(snap, "mid", "base", {"etc/name": b"mid", "etc/added": b"added"})
    active = snap.prepare("container", "mid", {})
    root = mount(active, tmp_path / "root", mounted)
    assert (root / "etc/name").read_bytes() == b"mid"
    assert sorted(os.listdir(root / "etc")) == ["added", "kept", "name"]
    (root / "etc/new").write_bytes(b"new")
    (root / "gone").unlink()
    assert not (root / "gone").exists()
    own = upper(active)
    assert (own / "etc/new").read_bytes() == b"new"
    whiteout = os.lstat(own / "gone")  # overlayfs's deletion mark: a 0/0 character device
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    base = snap.view("base-view", "base", {})
    below = mount(base, tmp_path / "below", mounted)
    assert (below / "gone").read_bytes() == b"x"  # the layer itself is untouched
    assert not (below / "etc/new").exists()


def test_a_view_mounted_is_read_only(
    snap: OverlaySnapshotter, tmp_path: Path, mounted: list[Path]
) -> None:
    committed(snap, "base", files={"f": b"1"})
    committed(snap, "mid", "base", {"g": b"2"})
    for key, parent in (("one", "base"), ("two", "mid")):
        view = mount(snap.view(key, parent, {}), tmp_path / key, mounted)
        assert (view / "f").read_bytes() == b"1"
        with pytest.raises(OSError) as refused:
            (view / "h").write_bytes(b"3")
        assert refused.value.errno == errno.EROFS
