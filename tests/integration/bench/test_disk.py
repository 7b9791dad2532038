"""The bench's own file system (bench/disk.py): a real ext4 on a loop device, gone afterwards."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bench.disk import own_filesystem

pytestmark = pytest.mark.integration


def mounted(path: Path) -> dict[str, str]:
    """The mount at `path` (its source and type), or nothing."""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        source, target, kind = line.split()[:3]
        if target == str(path):
            return {"source": source, "type": kind}
    return {}


def loop_devices_of(image: Path) -> str:
    return subprocess.run(
        ["losetup", "-j", str(image)], capture_output=True, text=True, check=True
    ).stdout


def test_the_data_lives_on_an_ext4_of_its_own_that_goes_at_the_end(tmp_path: Path) -> None:
    with own_filesystem(tmp_path) as where:
        assert where == tmp_path / "fs"
        mount = mounted(where)
        assert mount["type"] == "ext4" and mount["source"].startswith("/dev/loop")
        (where / "data").mkdir()
        for index in range(100):  # a file system that takes files, as an engine's root needs
            (where / "data" / f"{index}.txt").write_text("x")
        assert os.statvfs(where).f_files > 100_000
        assert loop_devices_of(tmp_path / "disk.img")
    assert not mounted(tmp_path / "fs")
    assert not (tmp_path / "disk.img").exists()


def test_it_is_unmounted_and_deleted_when_the_run_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), own_filesystem(tmp_path) as where:
        (where / "kept-open").mkdir()
        raise RuntimeError("a scenario failed")
    assert not mounted(tmp_path / "fs")
    assert not (tmp_path / "disk.img").exists()


def test_host_fs_keeps_the_data_where_it_was(tmp_path: Path) -> None:
    with own_filesystem(tmp_path, wanted=False) as where:
        assert where == tmp_path
        assert not mounted(tmp_path / "fs")
