"""Paths resolved inside a rootfs: every kind of link an image can plant stays inside it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from dockyard.shim.inroot import Root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    return rootfs


def where(root: Path, path: str, create: str = "") -> str:
    with Root(root) as opened:
        fd = opened.open(path, create)  # type: ignore[arg-type]
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)


@pytest.mark.parametrize(
    "link",
    ["/etc", "../../../../../../etc", "/../../etc", "/sub/../../etc", "../sub/../../../etc"],
)
def test_links_resolve_as_if_the_rootfs_were_slash(root: Path, link: str) -> None:
    (root / "sub").mkdir()
    (root / "sub/link").symlink_to(link)
    assert where(root, "/sub/link/passwd") == str(root / "etc/passwd")


def test_a_dangling_link_is_made_inside(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (root / "etc/hosts").symlink_to(f"../../../../{outside}/hosts")
    assert where(root, "/etc/hosts", "file") == str(root / str(outside).lstrip("/") / "hosts")
    assert not outside.exists()


def test_missing_directories_are_made_and_a_missing_path_is_not_found(root: Path) -> None:
    with pytest.raises(FileNotFoundError):
        where(root, "/a/b")
    assert where(root, "/a/b/c", "dir") == str(root / "a/b/c")
    assert (root / "a/b/c").is_dir()
    assert where(root, "/", "") == str(root)


def test_a_file_in_the_middle_and_loops_are_errors(root: Path) -> None:
    with pytest.raises(NotADirectoryError):
        where(root, "/etc/passwd/x", "dir")
    (root / "loop").symlink_to("loop")
    with pytest.raises(OSError) as raised:
        where(root, "/loop/x", "dir")
    assert raised.value.errno == errno.ELOOP


def test_symlinks_and_reads_stay_inside(root: Path, tmp_path: Path) -> None:
    (root / "dev").symlink_to(str(tmp_path))
    with Root(root) as opened:
        opened.symlink("/dev", "fd", "/proc/self/fd")
        assert opened.read("/etc/passwd").startswith(b"root:")
        os.mkfifo(root / "etc/group")
        with pytest.raises(OSError):
            opened.read("/etc/group")  # a FIFO would block the reader for ever
    assert os.readlink(root / str(tmp_path).lstrip("/") / "fd") == "/proc/self/fd"
    assert not (tmp_path / "fd").exists()
