"""docker's archive semantics (stat, archive, extract, the copy into a volume), run against a
directory of the host: the functions resolve paths with the caller's root, which in the
service is a container's (see views.py)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest
from dockyard.api.errors import FailedPrecondition, InvalidArgument, NotFound
from dockyard.services.snapshots.volumes import archive, copyup, untar
from dockyard.services.snapshots.volumes.untar import ExtractOptions

KEEP = ExtractOptions(copy_uid_gid=True, no_overwrite_dir_non_dir=True)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "dir" / "file").write_text("content\n")
    os.chmod(root / "dir" / "file", 0o4751)
    os.link(root / "dir" / "file", root / "dir" / "sub" / "hard")
    os.symlink("dir", root / "link")
    os.mkfifo(root / "dir" / "fifo")
    return root


def names(path: str) -> list[str]:
    out = io.BytesIO()
    archive.archive(path, out, "c1")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        return [m.name + ("/" if m.isdir() else "") for m in tar.getmembers()]


def test_a_directory_is_archived_under_its_name(tree: Path) -> None:
    assert names(f"{tree}/dir") == ["dir/", "dir/fifo", "dir/file", "dir/sub/", "dir/sub/hard"]


def test_a_trailing_dot_archives_the_content_alone(tree: Path) -> None:
    assert names(f"{tree}/dir/.") == ["./", "./fifo", "./file", "./sub/", "./sub/hard"]


def test_a_symlink_named_last_is_the_link_unless_a_slash_follows(tree: Path) -> None:
    assert names(f"{tree}/link") == ["link"]
    assert names(f"{tree}/link/")[:2] == ["link/", "link/fifo"]


def test_entries_keep_modes_owners_hardlinks_and_never_read_a_fifo(tree: Path) -> None:
    out = io.BytesIO()
    archive.archive(f"{tree}/dir", out, "c1")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert stat.S_IMODE(members["dir/file"].mode) == 0o4751
        assert members["dir/file"].uid == os.getuid() and members["dir/file"].uname == ""
        assert members["dir/sub/hard"].islnk() and members["dir/sub/hard"].linkname == "dir/file"
        assert members["dir/fifo"].isfifo()
        assert tar.extractfile(members["dir/file"]).read() == b"content\n"  # type: ignore[union-attr]


def test_stat_says_what_the_path_is(tree: Path) -> None:
    found = archive.stat_path(f"{tree}/link", "c1")
    assert found.name == "link" and stat.S_ISLNK(found.mode)
    assert found.link_target == f"{tree}/dir"
    assert archive.stat_path(f"{tree}/dir/.", "c1").name == "."
    with pytest.raises(NotFound, match="Could not find the file /nope in container c1"):
        archive.stat_path("/nope", "c1")


def tar_of(*entries: tuple[str, str, bytes | str]) -> io.BytesIO:
    """Entries as (kind, name, content or link text)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, body in entries:
            info = tarfile.TarInfo(name)
            info.uid, info.gid, info.mode = os.getuid(), os.getgid(), 0o640
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o750
                tar.addfile(info)
            elif kind == "file":
                data = body if isinstance(body, bytes) else body.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = str(body)
                tar.addfile(info)
    out.seek(0)
    return out


def test_extract_makes_the_entries_below_the_target(tmp_path: Path) -> None:
    stream = tar_of(
        ("dir", "d", ""), ("file", "d/f", "x"), ("link", "d/h", "d/f"), ("symlink", "d/s", "/etc")
    )
    untar.extract(str(tmp_path), stream, KEEP, "c1")
    assert (tmp_path / "d" / "f").read_text() == "x"
    assert oct((tmp_path / "d").stat().st_mode & 0o777) == "0o750"
    assert oct((tmp_path / "d" / "f").stat().st_mode & 0o777) == "0o640"
    assert (tmp_path / "d" / "h").stat().st_ino == (tmp_path / "d" / "f").stat().st_ino
    assert os.readlink(tmp_path / "d" / "s") == "/etc"


@pytest.mark.parametrize(
    "entry",
    [
        ("file", "../escaped", "x"),
        ("file", "a/../../escaped", "x"),
        ("symlink", "up", "../../.."),
        ("link", "hard", "../outside"),
    ],
    ids=["dotdot", "dotdot-inside", "climbing-symlink", "hardlink-out"],
)
def test_extract_refuses_entries_that_climb_out(
    tmp_path: Path, entry: tuple[str, str, str]
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(InvalidArgument, match=r"invalid|outside"):
        untar.extract(str(target), tar_of(entry), KEEP, "c1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


def test_extract_resolves_symlinks_as_if_the_target_were_the_root(tmp_path: Path) -> None:
    """docker extracts in a chroot of the target: a link the tar (or the container) put there
    leads below the target, never out of it."""
    target, outside = tmp_path / "target", tmp_path / "outside"
    target.mkdir()
    outside.mkdir()
    os.symlink("../../..", target / "up")
    stream = tar_of(
        ("symlink", "out", str(outside)),
        ("file", "out/planted", "x"),
        ("file", "up/climbed", "y"),
        ("link", "out/hard", "up/climbed"),
    )
    untar.extract(str(target), stream, KEEP, "c1")
    assert list(outside.iterdir()) == []
    assert (target / str(outside).lstrip("/") / "planted").read_text() == "x"
    assert (target / "climbed").read_text() == "y"
    assert (target / str(outside).lstrip("/") / "hard").read_text() == "y"


def test_extract_keeps_dir_and_non_dir_apart_as_docker_does(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("old")
    with pytest.raises(InvalidArgument, match="cannot overwrite directory"):
        untar.extract(str(tmp_path), tar_of(("file", "d", "x")), KEEP, "c1")
    with pytest.raises(InvalidArgument, match="cannot overwrite non-directory"):
        untar.extract(str(tmp_path), tar_of(("dir", "f", "")), KEEP, "c1")
    untar.extract(str(tmp_path), tar_of(("file", "f", "new")), KEEP, "c1")
    assert (tmp_path / "f").read_text() == "new"


def test_extract_leaves_the_target_itself_alone(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o711)
    untar.extract(str(tmp_path), tar_of(("dir", ".", ""), ("file", "./f", "x")), KEEP, "c1")
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o711"
    assert (tmp_path / "f").read_text() == "x"


def test_extract_into_a_file_or_nothing_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InvalidArgument, match="extraction point is not a directory"):
        untar.extract(str(tmp_path / "f"), tar_of(), KEEP, "c1")
    with pytest.raises(NotFound, match="Could not find the file"):
        untar.extract(str(tmp_path / "nope"), tar_of(), KEEP, "c1")


def test_a_broken_tar_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="Error processing tar file"):
        untar.extract(str(tmp_path), io.BytesIO(b"not a tar" * 100), KEEP, "c1")


def test_read_only_rootfs_and_volumes_refuse_writes_in_dockers_words(tmp_path: Path) -> None:
    volume = tmp_path / "vol"
    volume.mkdir()
    read_only_root = ExtractOptions(read_only_rootfs=True, mounts=((str(volume), False),))
    with pytest.raises(FailedPrecondition, match="container rootfs is marked read-only"):
        untar.extract(str(tmp_path), tar_of(), read_only_root, "c1")
    untar.extract(str(volume), tar_of(("file", "f", "x")), read_only_root, "c1")  # rw volume
    read_only_volume = ExtractOptions(mounts=((str(volume), True),))
    with pytest.raises(FailedPrecondition, match="mounted volume is marked read-only"):
        untar.extract(str(volume), tar_of(), read_only_volume, "c1")


def test_copy_tree_fills_an_empty_directory_keeping_everything(tree: Path, tmp_path: Path) -> None:
    destination = tmp_path / "volume"
    destination.mkdir(mode=0o700)
    os.chmod(tree / "dir", 0o1770)
    fd = os.open(destination, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert copyup.copy_tree(f"{tree}/link", fd)  # resolved: the directory it names
    finally:
        os.close(fd)
    assert oct(destination.stat().st_mode & 0o7777) == "0o1770"  # the root takes the image's
    assert sorted(p.name for p in destination.iterdir()) == ["fifo", "file", "sub"]
    assert oct((destination / "file").stat().st_mode & 0o7777) == "0o4751"
    assert (destination / "sub" / "hard").stat().st_ino == (destination / "file").stat().st_ino
    assert stat.S_ISFIFO((destination / "fifo").lstat().st_mode)
    assert (destination / "file").stat().st_mtime == (tree / "dir" / "file").stat().st_mtime // 1


def test_copy_tree_of_nothing_copies_nothing(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert not copyup.copy_tree(f"{tmp_path}/missing", fd)
        (tmp_path / "file").write_text("x")
        assert not copyup.copy_tree(f"{tmp_path}/file", fd)
    finally:
        os.close(fd)
