"""A container's files through the Docker API, driven by the real docker CLI: `cp` both ways
(running and stopped containers, links, tar on stdin and stdout), `diff`, `commit` and the
committed image's `history`."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration


def test_cp_out_of_and_into_a_container(clients: Docker, image: str, tmp_path: Path) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    docker.ok("run", "-d", "--name", "files", image, "sleep", "300")
    docker.ok("exec", "files", "sh", "-c", "mkdir -p /x/y; echo hi > /x/f; ln -s /x/f /x/l")
    docker.ok("cp", "files:/x", str(tmp_path))
    assert (tmp_path / "x" / "f").read_text() == "hi\n" and (tmp_path / "x" / "y").is_dir()
    assert os.readlink(tmp_path / "x" / "l") == "/x/f"
    docker.ok("cp", "-L", "files:/x/l", str(tmp_path / "followed"))
    assert (tmp_path / "followed").read_text() == "hi\n"
    missing = docker.run("cp", "files:/nowhere", str(tmp_path))
    assert missing.returncode == 1  # 28: the engine's words; 20.10: "No such container:path"
    assert any(
        words in missing.stderr for words in ("Could not find the file /nowhere", "files:/nowhere")
    )
    (tmp_path / "up.txt").write_text("up\n")
    os.chmod(tmp_path / "up.txt", 0o4751)  # modes travel, setuid included
    docker.ok("cp", str(tmp_path / "up.txt"), "files:/x/y/")
    assert docker.ok("exec", "files", "stat", "-c", "%a %u", "/x/y/up.txt") == "4751 0\n"
    docker.ok("cp", str(tmp_path / "up.txt"), "files:/x/renamed.txt")
    assert docker.ok("exec", "files", "cat", "/x/y/up.txt", "/x/renamed.txt") == "up\nup\n"
    docker.ok("stop", "-t", "0", "files")  # a stopped container's files, both ways
    docker.ok("cp", str(tmp_path / "up.txt"), "files:/stopped.txt")
    docker.ok("cp", "files:/x/f", str(tmp_path / "from-stopped"))
    assert (tmp_path / "from-stopped").read_text() == "hi\n"
    docker.ok("cp", "files:/x/y/.", str(tmp_path / "content"))  # a directory's content
    assert sorted(os.listdir(tmp_path / "content")) == ["up.txt"]
    docker.ok("start", "files")
    assert docker.ok("exec", "files", "cat", "/stopped.txt") == "up\n"


def test_cp_tar_streams_on_stdin_and_stdout(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("create", "--name", "tarred", image, "true")
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("piped.txt")
        info.size, info.uid, info.mode = 6, 4242, 0o640
        tar.addfile(info, io.BytesIO(b"piped\n"))
    docker_in = subprocess.run(
        [docker.binary, "cp", "-a", "-", "tarred:/tmp"],
        input=data.getvalue(),
        capture_output=True,
        env=docker.env,
        timeout=60,
    )
    assert docker_in.returncode == 0, docker_in.stderr
    out = subprocess.run(
        [docker.binary, "cp", "tarred:/tmp/piped.txt", "-"],
        capture_output=True,
        env=docker.env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        member = tar.getmember("piped.txt")
        assert (member.uid, member.mode, tar.extractfile(member).read()) == (  # type: ignore[union-attr]
            4242,
            0o640,
            b"piped\n",
        )


def test_diff_and_commit(clients: Docker, image: str, cleanup: list[tuple[str, str]]) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    docker.ok("create", "--name", "unchanged", image, "true")
    assert docker.ok("diff", "unchanged") == ""
    script = "mkdir /made; echo new > /made/file; rm /bin/true; echo more >> /etc/hostname"
    docker.ok("run", "--name", "changer", image, "sh", "-c", script)
    changes = docker.ok("diff", "changer").splitlines()
    assert {"A /made", "A /made/file", "C /bin", "D /bin/true"} <= set(changes)
    cleanup.append(("image", "committed:v1"))
    image_id = docker.ok(
        "commit", "-m", "made by a test", "-a", "tester", "-c", 'CMD ["cat", "/made/file"]',
        "-c", "ENV MADE=yes", "changer", "committed:v1",
    ).strip()  # fmt: skip
    assert image_id.startswith("sha256:")
    assert docker.ok("run", "--rm", "committed:v1") == "new\n"
    fields = docker.ok(
        "image", "inspect", "-f", "{{.Id}}|{{.Comment}}|{{.Author}}|{{json .Config.Env}}",
        "committed:v1",
    )  # fmt: skip
    assert fields.strip().split("|")[:3] == [image_id, "made by a test", "tester"]
    assert "MADE=yes" in fields
    assert docker.run("run", "--rm", "committed:v1", "ls", "/bin/true").returncode == 1
    steps = docker.ok(
        "history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}", "committed:v1"
    ).splitlines()
    assert steps[0].split("|") == [image_id, f"sh -c {script}", "made by a test"]
    assert len(steps) == 1 + len(docker.ok("history", "-q", image).split())
    missing = docker.run("commit", "no-such-container")
    assert missing.returncode == 1 and "No such container: no-such-container" in missing.stderr
