"""A removed snapshot's files are deleted after the reply, in order, and before anything new
takes space (trash.py); the snapshotter's `discard` leaves them renamed aside for that."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from dockyard.api.errors import NotFound
from dockyard.services.snapshots import trash as trash_module
from dockyard.services.snapshots.server import SnapshotsServicer
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter
from dockyard.services.snapshots.trash import Trash
from dockyard.snapshots.v1 import snapshots_pb2 as pb


def full_dir(path: Path, files: int = 20) -> Path:
    (path / "fs").mkdir(parents=True)
    for i in range(files):
        (path / "fs" / f"f{i}").write_bytes(b"x" * 100)
    return path


async def prepared_with_files(
    servicer: SnapshotsServicer, snapshotter: OverlaySnapshotter, root: Path, key: str
) -> int:
    """The active snapshot `key`, 200 files written into it; its directory's ID."""
    await servicer.Prepare(pb.PrepareSnapshotRequest(key=key), None)
    made = snapshotter.stat(key).id
    for i in range(200):
        (root / "snapshots" / str(made) / "fs" / f"f{i}").write_bytes(b"x")
    return made


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_directories_are_deleted_one_at_a_time_oldest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted: list[str] = []
    under_way: list[str] = []
    real_rmtree = shutil.rmtree

    def rmtree(path: Path, ignore_errors: bool = False) -> None:
        under_way.append(path.name)
        assert len(under_way) == 1, f"deleted at once: {under_way}"
        real_rmtree(path, ignore_errors=ignore_errors)
        deleted.append(path.name)
        under_way.remove(path.name)

    monkeypatch.setattr(trash_module.shutil, "rmtree", rmtree)
    trash = Trash()
    for name in "abc":
        trash.put(full_dir(tmp_path / name))
    await trash.emptied()
    assert deleted == ["a", "b", "c"] and entries(tmp_path) == []
    trash.put(full_dir(tmp_path / "d"))  # a new worker for what comes later
    await trash.close()
    assert entries(tmp_path) == []


async def test_emptied_waits_for_what_was_put_before_it_only(tmp_path: Path) -> None:
    trash = Trash()
    await asyncio.wait_for(trash.emptied(), 1)  # nothing put: at once
    first = full_dir(tmp_path / "first", 500)
    trash.put(first)
    waiting = asyncio.create_task(trash.emptied())
    trash.put(full_dir(tmp_path / "second"))
    await waiting
    assert not first.exists()
    await trash.emptied()
    assert entries(tmp_path) == []


async def test_remove_replies_before_the_files_go_and_prepare_waits_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshotter = OverlaySnapshotter(tmp_path)
    servicer = SnapshotsServicer(snapshotter)
    gone = await prepared_with_files(servicer, snapshotter, tmp_path, "gone")
    await servicer.Remove(pb.RemoveSnapshotRequest(key="gone"), None)
    trash = tmp_path / "snapshots" / f"removing-{gone}"
    assert trash.is_dir()  # the reply came first
    with pytest.raises(NotFound):
        snapshotter.stat("gone")
    assert [r.key for r in (await servicer.List(pb.ListSnapshotsRequest(), None)).snapshots] == []

    seen: list[bool] = []
    prepare = snapshotter.prepare

    def spy(*args: Any) -> Any:
        seen.append(trash.exists())
        return prepare(*args)

    monkeypatch.setattr(snapshotter, "prepare", spy)
    await servicer.Prepare(pb.PrepareSnapshotRequest(key="next"), None)
    assert seen == [False]  # the space came back before anything new was made
    assert entries(tmp_path / "snapshots") == [str(snapshotter.stat("next").id)]
    await servicer.trash.close()
    snapshotter.close()


async def test_a_removal_whose_caller_went_away_still_deletes_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller (the engine) dies or gives up while the rename and the record's delete run
    in their thread: they finish all the same, and so must the deletion of the files (else
    they stay until the service restarts)."""
    snapshotter = OverlaySnapshotter(tmp_path)
    servicer = SnapshotsServicer(snapshotter)
    await servicer.Prepare(pb.PrepareSnapshotRequest(key="gone"), None)
    entered, go = threading.Event(), threading.Event()
    discard = snapshotter.discard

    def held(key: str) -> Path:
        entered.set()
        go.wait(10)
        return discard(key)

    monkeypatch.setattr(snapshotter, "discard", held)
    call = asyncio.create_task(servicer.Remove(pb.RemoveSnapshotRequest(key="gone"), None))
    assert await asyncio.to_thread(entered.wait, 10)
    call.cancel()
    go.set()
    with pytest.raises(asyncio.CancelledError):
        await call
    async with asyncio.timeout(10):
        while entries(tmp_path / "snapshots"):  # noqa: ASYNC110 - no event tells of a deletion
            await asyncio.sleep(0.01)
    with pytest.raises(NotFound):
        snapshotter.stat("gone")
    snapshotter.close()


async def test_an_image_layer_is_deleted_before_the_reply(tmp_path: Path) -> None:
    """A committed snapshot (an image's layer: rmi, prune) is not left to the trash: its
    files are gone when Remove answers, as docker's rmi has freed the space when it returns."""
    snapshotter = OverlaySnapshotter(tmp_path)
    servicer = SnapshotsServicer(snapshotter)
    await prepared_with_files(servicer, snapshotter, tmp_path, "layer")
    await servicer.Commit(pb.CommitSnapshotRequest(name="sha256:l", key="layer"), None)
    await servicer.Remove(pb.RemoveSnapshotRequest(key="sha256:l"), None)
    assert entries(tmp_path / "snapshots") == []  # deleted, not only renamed aside
    await servicer.trash.close()
    snapshotter.close()
