"""Tars through the Docker API, driven by the real docker CLI (each one the machine has):
docker save / load (to and from files and pipes), docker export, docker import -c."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration


def binary_run(docker: Docker, *args: str, input: bytes | None = None) -> bytes:
    """A docker command whose stdout (or stdin) is a tar: bytes, and it must succeed."""
    done = subprocess.run(
        [docker.binary, *args], input=input, capture_output=True, env=docker.env, timeout=120
    )
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr.decode()}"
    return done.stdout


def test_save_then_load(
    clients: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    saved = "saved/busybox:v1"
    cleanup.append(("image", saved))
    docker.ok("tag", image, saved)
    image_id = docker.ok("image", "inspect", "-f", "{{.Id}}", saved).strip()
    archive = tmp_path / "saved.tar"
    assert docker.ok("save", "-o", str(archive), saved) == ""
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "index.json", "oci-layout"} <= set(tar.getnames())
    piped = binary_run(docker, "save", saved, image)  # several images to stdout
    docker.ok("rmi", saved)
    assert docker.ok("load", "-i", str(archive)) == f"Loaded image: {saved}\n"
    assert docker.ok("image", "inspect", "-f", "{{.Id}}", saved).strip() == image_id
    assert docker.ok("run", "--rm", saved, "echo", "loaded") == "loaded\n"
    docker.ok("rmi", saved)
    out = binary_run(docker, "load", input=piped).decode()
    assert out.splitlines() == [f"Loaded image: {saved}", f"Loaded image: {image}"]
    missing = docker.run("save", "-o", str(tmp_path / "none.tar"), "no-such/image:v1")
    assert missing.returncode == 1 and "No such image: no-such/image:v1" in missing.stderr
    assert not (tmp_path / "none.tar").exists()


def test_load_of_a_bad_archive_is_refused(clients: Docker, tmp_path: Path) -> None:
    docker = clients
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in (
            ("manifest.json", b'[{"Config": "c.json", "Layers": []}]'),
            ("../c.json", b"{}"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    refused = docker.run("load", "-i", str(archive))
    assert refused.returncode == 1
    assert "invalid archive: ../c.json reaches outside the archive" in refused.stderr


def test_export_then_import_with_a_change(
    clients: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    docker.ok("run", "--name", "to-export", image, "sh", "-c", "echo exported > /made")
    archive = tmp_path / "fs.tar"
    docker.ok("export", "-o", str(archive), "to-export")
    streamed = binary_run(docker, "export", "to-export")
    for data in (archive.read_bytes(), streamed):
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            assert tar.extractfile("made").read() == b"exported\n"  # type: ignore[union-attr]
            assert "bin/busybox" in tar.getnames()
    imported = "imported/fs:v1"
    cleanup.append(("image", imported))
    made = binary_run(docker, "import", "-c", 'CMD ["cat", "/made"]', "-", imported, input=streamed)
    assert made.decode().strip().startswith("sha256:")
    assert docker.ok("run", "--rm", imported) == "exported\n"
    missing = docker.run("export", "-o", str(tmp_path / "none.tar"), "no-such-container")
    assert missing.returncode == 1 and "No such container: no-such-container" in missing.stderr
