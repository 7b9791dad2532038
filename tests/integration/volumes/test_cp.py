"""`cp` with real containers, running and stopped, both ways: docker's path rules, modes and
owners, `-a`, `-L`, `-` for tar streams, volumes seen as the container sees them."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.volumes.conftest import until
from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


@pytest.fixture(params=["running", "stopped"])
def box(
    request: pytest.FixtureRequest, engine: Engine, busybox: str, tmp_path: Path
) -> Iterator[str]:
    """A container with a file, a directory, a volume and a bind; running or stopped."""
    (tmp_path / "bound").mkdir()
    (tmp_path / "bound" / "b").write_text("bound\n")
    script = (
        "mkdir -p /srv/dir/sub && echo f > /srv/dir/file && echo deep > /srv/dir/sub/x "
        "&& chown -R 1000:1000 /srv/dir && chmod 4750 /srv/dir/file "
        "&& ln -s /srv/dir /srv/link && echo vol > /vol/v"
    )
    args = ["-v", "cpvol:/vol", "-v", f"{tmp_path}/bound:/bound", busybox, "sh", "-c"]
    if request.param == "running":
        engine.ok("run", "-d", "--name", "box", *args, f"{script} && sleep 1000")
        until(lambda: engine.cli("exec", "box", "test", "-e", "/vol/v").returncode == 0)
    else:
        engine.ok("run", "--name", "box", *args, script)
    yield "box"
    engine.remove_all_containers()
    engine.cli("volume", "rm", "cpvol")


def test_copy_out_by_dockers_path_rules(engine: Engine, box: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    engine.ok("cp", f"{box}:/srv/dir/file", str(out))  # into an existing directory
    assert (out / "file").read_text() == "f\n"
    assert stat.S_IMODE((out / "file").stat().st_mode) == 0o4750  # the mode is kept
    assert (out / "file").stat().st_uid == 0  # owners are not, without -a (docker's)
    engine.ok("cp", f"{box}:/srv/dir", str(out / "copy"))  # a directory to a new name
    assert sorted(os.listdir(out / "copy")) == ["file", "sub"]
    engine.ok("cp", f"{box}:/srv/dir/.", str(out))  # the content into an existing directory
    assert (out / "sub" / "x").read_text() == "deep\n"
    engine.ok("cp", "-a", f"{box}:/srv/dir", str(out / "owned"))
    assert (out / "owned").stat().st_uid == 1000
    engine.ok("cp", f"{box}:/srv/link", str(out / "link"))  # the link itself
    assert os.readlink(out / "link") == "/srv/dir"
    engine.ok("cp", "-L", f"{box}:/srv/link", str(out / "followed"))  # what it leads to
    assert (out / "followed" / "file").read_text() == "f\n"
    engine.ok("cp", f"{box}:/vol/v", str(out / "v"))  # a volume, as the container sees it
    engine.ok("cp", f"{box}:/bound/b", str(out / "b"))  # and a bind
    assert (out / "v").read_text() == "vol\n" and (out / "b").read_text() == "bound\n"


def test_copy_out_as_a_tar_on_stdout(engine: Engine, box: str) -> None:
    tar_bytes = subprocess.run(
        [CLI, "-H", engine.host, "cp", f"{box}:/srv/dir", "-"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["dir", "dir/file", "dir/sub", "dir/sub/x"]
    assert members["dir/file"].uid == 1000 and members["dir/file"].mode == 0o4750


def test_copy_in_by_dockers_path_rules(engine: Engine, box: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a").write_text("a\n")
    os.chmod(src / "sub" / "a", 0o4711)
    os.chown(src / "sub", 1234, 5678)
    engine.ok("cp", str(src), f"{box}:/srv/")
    engine.ok("cp", str(src), f"{box}:/srv/renamed")
    engine.ok("cp", f"{src}/.", f"{box}:/vol")
    engine.ok("cp", "-a", str(src), f"{box}:/srv/kept")
    engine.ok("cp", str(src / "sub" / "a"), f"{box}:/bound/newname")
    listing = copied_out(engine, box, "/srv")
    assert listing["srv/src/sub/a"][:2] == (0o4711, 0)  # mode kept, owned by root
    assert listing["srv/renamed/sub/a"][0] == 0o4711
    assert listing["srv/kept/sub"][1:] == (1234, 5678)  # -a keeps the owners
    assert "vol/sub/a" in copied_out(engine, box, "/vol")
    assert (tmp_path / "bound" / "newname").read_text() == "a\n"


def test_copy_in_a_tar_from_stdin(engine: Engine, box: str) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("streamed")
        info.size, info.mode = 3, 0o600
        tar.addfile(info, io.BytesIO(b"hi\n"))
    result = subprocess.run(
        [CLI, "-H", engine.host, "cp", "-", f"{box}:/srv"],
        input=buffer.getvalue(),
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert copied_out(engine, box, "/srv/streamed")["streamed"][0] == 0o600
    not_dir = subprocess.run(
        [CLI, "-H", engine.host, "cp", "-", f"{box}:/srv/dir/file"],
        input=buffer.getvalue(),
        capture_output=True,
    )
    assert not_dir.returncode == 1
    assert not_dir.stderr == f'destination "{box}:/srv/dir/file" must be a directory\n'.encode()


def test_missing_paths_and_wrong_kinds_in_dockers_words(
    engine: Engine, box: str, tmp_path: Path
) -> None:
    missing = engine.cli("cp", f"{box}:/nope", str(tmp_path))
    assert (missing.returncode, missing.stderr) == (
        1,
        f"Error response from daemon: Could not find the file /nope in container {box}\n",
    )
    into_missing = engine.cli("cp", str(tmp_path), f"{box}:/no/such/dir/")
    assert into_missing.returncode == 1 and "Could not find the file" in into_missing.stderr
    (tmp_path / "file").write_text("x")
    over_file = engine.cli("cp", f"{box}:/srv/dir", str(tmp_path / "file"))
    assert over_file.stderr == "cannot copy directory\n"
    both = engine.cli("cp", f"{box}:/a", f"{box}:/b")
    assert both.stderr == "copying between containers is not supported\n"
    none = engine.cli("cp", "/a", "/b")
    assert none.stderr == "must specify at least one container source\n"
    gone = engine.cli("cp", "nosuch:/a", str(tmp_path))
    assert gone.stderr == "Error response from daemon: No such container: nosuch\n"


def test_read_only_rootfs_and_volumes_refuse_cp_in(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    (tmp_path / "f").write_text("x")
    engine.ok("run", "-d", "--name", "ro", "--read-only", "-v", "rw:/rw", "-v", "rov:/rov:ro",
              busybox, "sleep", "1000")  # fmt: skip
    root = engine.cli("cp", str(tmp_path / "f"), "ro:/tmp/")
    assert root.stderr == "Error response from daemon: container rootfs is marked read-only\n"
    volume = engine.cli("cp", str(tmp_path / "f"), "ro:/rov/")
    assert volume.stderr == "Error response from daemon: mounted volume is marked read-only\n"
    engine.ok("cp", str(tmp_path / "f"), "ro:/rw/")  # a writable volume of it is fine
    engine.remove_all_containers()
    engine.ok("volume", "rm", "rw", "rov")


def test_a_running_containers_tmpfs_is_what_cp_sees(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "tmp", "--tmpfs", "/scratch", busybox,
              "sh", "-c", "echo in-tmpfs > /scratch/f; sleep 1000")  # fmt: skip
    until(lambda: engine.cli("exec", "tmp", "test", "-e", "/scratch/f").returncode == 0)
    tar_bytes = subprocess.run(
        [CLI, "-H", engine.host, "cp", "tmp:/scratch/f", "-"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        member = tar.extractfile("f")
        assert member is not None and member.read() == b"in-tmpfs\n"


def copied_out(engine: Engine, container: str, path: str) -> dict[str, tuple[int, int, int]]:
    """name → (mode bits, uid, gid) of what `cp CONTAINER:PATH -` streams."""
    tar_bytes = subprocess.run(
        [CLI, "-H", engine.host, "cp", f"{container}:{path}", "-"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {m.name: (m.mode, m.uid, m.gid) for m in tar.getmembers()}
