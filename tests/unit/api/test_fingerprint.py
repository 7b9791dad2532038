"""Changed code on disk is seen: by stat (Fingerprint) and by the kernel's inotify (Watched)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from dockyard.api import fingerprint
from dockyard.api.fingerprint import Fingerprint, Watched


def files(tmp_path: Path, *names: str) -> Fingerprint:
    stamps = {}
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n")
        status = path.stat()
        stamps[str(path)] = (status.st_mtime_ns, status.st_size)
    return Fingerprint(stamps)


@pytest.fixture
def code(tmp_path: Path) -> Fingerprint:
    return files(tmp_path, "pkg/a.py", "pkg/b.py", "other/c.py")


def test_nothing_changed_is_nothing(code: Fingerprint) -> None:
    watched = Watched(code)
    assert watched.changed() == "" and watched.changed() == ""


@pytest.mark.parametrize(
    "change",
    [
        lambda path: path.write_text("# edited\n"),  # an editor writing in place
        lambda path: os.utime(path, ns=(0, 1)),  # only its mtime (`touch`)
        lambda path: path.unlink(),  # removed
        lambda path: path.rename(path.with_suffix(".old")),  # moved away
    ],
    ids=["written", "touched", "removed", "moved-away"],
)
def test_a_change_to_a_watched_file_names_it(
    code: Fingerprint, tmp_path: Path, change: Callable[[Path], object]
) -> None:
    watched = Watched(code)
    target = tmp_path / "pkg" / "b.py"
    change(target)
    assert watched.changed() == str(target)
    assert watched.changed() == str(target)  # it stays stale


def test_a_file_replaced_by_rename_is_seen(code: Fingerprint, tmp_path: Path) -> None:
    """As pip and most editors write: a new file, renamed over the old one."""
    watched = Watched(code)
    (tmp_path / "pkg" / "a.py.tmp").write_text("# new\n")
    os.replace(tmp_path / "pkg" / "a.py.tmp", tmp_path / "pkg" / "a.py")
    assert watched.changed() == str(tmp_path / "pkg" / "a.py")


def test_other_files_in_the_same_directories_do_not_count(
    code: Fingerprint, tmp_path: Path
) -> None:
    watched = Watched(code)
    (tmp_path / "pkg" / "new.py").write_text("# not loaded\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "pkg" / "a.py").read_text()
    assert watched.changed() == ""


def test_a_watched_directory_moved_away_is_a_change(code: Fingerprint, tmp_path: Path) -> None:
    watched = Watched(code)
    (tmp_path / "other").rename(tmp_path / "other-old")
    assert watched.changed() == str(tmp_path / "other" / "c.py")


def test_a_change_before_the_watch_was_set_is_seen(code: Fingerprint, tmp_path: Path) -> None:
    (tmp_path / "pkg" / "a.py").write_text("# edited between the fingerprint and the watch\n")
    assert Watched(code).changed() == str(tmp_path / "pkg" / "a.py")


def test_without_inotify_every_file_is_stated(
    code: Fingerprint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fingerprint, "_watch", lambda *args: -1)
    watched = Watched(code)
    assert watched.changed() == ""
    os.utime(tmp_path / "other" / "c.py", ns=(0, 1))
    assert watched.changed() == str(tmp_path / "other" / "c.py")


def test_a_lost_event_falls_back_to_stating_the_files(code: Fingerprint, tmp_path: Path) -> None:
    """The kernel's queue overflowed: what changed is found by stat, nothing is missed."""
    watched = Watched(code)
    read, write = os.pipe2(os.O_NONBLOCK)  # plays the inotify fd: one IN_Q_OVERFLOW event
    os.write(write, fingerprint.EVENT.pack(-1, fingerprint.IN_Q_OVERFLOW, 0, 0))
    os.close(watched._fd)
    watched._fd = read
    os.utime(tmp_path / "pkg" / "a.py", ns=(0, 1))
    assert watched.changed() == str(tmp_path / "pkg" / "a.py")
    os.close(write)
    watched.close()
