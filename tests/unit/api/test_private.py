"""Start-up puts the engine's modes right: dirs 0700 (state 0711), databases and WAL 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dockyard.api import private
from dockyard.api.paths import Paths


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_loose_modes_are_tightened_and_named(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "root", tmp_path / "state")
    data, run = paths.data("engine"), paths.run("engine")
    for directory in (data, run):
        directory.mkdir(parents=True, mode=0o755)
    for name in ("containers.db", "containers.db-wal", "containers.db-shm", "notes.txt"):
        (data / name).write_text("")
        (data / name).chmod(0o644)
    os.chmod(paths.root, 0o755)
    fixed = private.secure(paths, "engine")
    assert (mode(paths.root), mode(data), mode(run), mode(paths.state)) == (0o700,) * 3 + (0o711,)
    assert {
        mode(data / n) for n in ("containers.db", "containers.db-wal", "containers.db-shm")
    } == {0o600}
    assert mode(data / "notes.txt") == 0o644  # not a database: its owner's business
    assert f"{paths.root}: 0755 → 0700" in fixed
    assert private.secure(paths, "engine") == []  # nothing left to put right


def test_a_service_that_has_no_dirs_yet_is_fine(tmp_path: Path) -> None:
    assert private.secure(Paths(tmp_path / "r", tmp_path / "s"), "images") == []
