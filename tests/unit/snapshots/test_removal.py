"""Removal of snapshots is restartable: a crash or a full disk half-way is finished later
(by the next change, or at start-up), and what is half-removed no longer exists for callers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dockyard.api.errors import NotFound, ResourceExhausted
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter


def snapshotter(root: Path) -> OverlaySnapshotter:
    return OverlaySnapshotter(root)


def test_a_removal_cut_after_the_rename_is_finished_at_start_up(tmp_path: Path) -> None:
    first = snapshotter(tmp_path)
    first.prepare("base", "", {})
    first.commit("base-c", "base", {})
    first.prepare("extract-1234-x", "base-c", {})
    kept = first.stat("base-c").id
    gone = first.stat("extract-1234-x").id
    dirs = tmp_path / "snapshots"
    os.replace(dirs / str(gone), dirs / f"removing-{gone}")  # then the process died
    first.close()
    again = snapshotter(tmp_path)
    again.reconcile()
    assert [r.key for r in again.list()] == ["base-c"]
    assert sorted(p.name for p in dirs.iterdir()) == [str(kept)]


def test_an_unfinished_extraction_and_a_record_without_its_dir_go_at_start_up(
    tmp_path: Path,
) -> None:
    first = snapshotter(tmp_path)
    first.prepare("a", "", {})
    first.commit("a-c", "a", {})
    first.prepare("b", "a-c", {})
    first.commit("b-c", "b", {})  # a chain whose dirs are both gone: leaves first
    first.prepare("extract-1-new", "", {})
    for key in ("a-c", "b-c"):
        (tmp_path / "snapshots" / str(first.stat(key).id) / "fs").rmdir()
    first.close()
    again = snapshotter(tmp_path)
    again.reconcile()
    assert again.list() == [] and list((tmp_path / "snapshots").iterdir()) == []


def test_a_record_the_full_disk_keeps_is_doomed_then_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots = snapshotter(tmp_path)
    snapshots.prepare("k", "", {})
    meta = snapshots._meta
    real_remove = meta.remove

    def full(key: str) -> None:
        raise ResourceExhausted("no space left on device (snapshot metadata)")

    monkeypatch.setattr(meta, "remove", full)
    with pytest.raises(ResourceExhausted):
        snapshots.remove("k")
    assert list((tmp_path / "snapshots").iterdir()) == []  # the space is freed all the same
    with pytest.raises(NotFound):
        snapshots.stat("k")
    assert snapshots.list() == []
    with pytest.raises(ResourceExhausted, match="still being removed"):
        snapshots.prepare("k", "", {})
    monkeypatch.setattr(meta, "remove", real_remove)
    snapshots.prepare("other", "", {})  # the next change finishes the removal
    assert [r.key for r in meta.all()] == ["other"]
    snapshots.prepare("k", "", {})
