"""The `container` group holds every container verb docker 20.10's does: `container commit`,
`container diff`, `container export` and `container port` work as their top-level twins."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


def test_commit_diff_export_and_port_under_the_container_group(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    engine.ok(
        "run", "-d", "--name", "grouped", "-p", "127.0.0.1::80", busybox,
        "sh", "-c", "echo hi > /made && exec sleep 600",
    )  # fmt: skip
    engine.ok("exec", "grouped", "test", "-f", "/made")  # the change is there before diff reads
    assert engine.ok("container", "diff", "grouped") == engine.ok("diff", "grouped")
    assert "A /made\n" in engine.ok("container", "diff", "grouped")

    published = engine.ok("container", "port", "grouped")
    assert published == engine.ok("port", "grouped")
    assert published.startswith("80/tcp -> 127.0.0.1:")
    assert engine.ok("container", "port", "grouped", "80").startswith("127.0.0.1:")
    missing = engine.cli("container", "port", "no-such-container")
    assert (missing.returncode, missing.stderr) == (
        1,
        "Error: No such container: no-such-container\n",
    )

    archive = tmp_path / "grouped.tar"
    engine.ok("container", "export", "-o", str(archive), "grouped")
    with tarfile.open(archive) as tar:
        made = tar.extractfile("made")
        assert made is not None and made.read() == b"hi\n"

    image = engine.ok("container", "commit", "-m", "grouped", "grouped", "grouped-image").strip()
    try:
        assert image.startswith("sha256:")
        assert engine.ok("run", "--rm", "grouped-image", "cat", "/made") == "hi\n"
        comment = engine.ok("image", "inspect", "-f", "{{.Comment}}", "grouped-image")
        assert comment == "grouped\n"
    finally:
        engine.ok("rm", "-f", "grouped")
        engine.cli("rmi", "grouped-image")


def test_container_export_to_a_pipe(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "piped", busybox, "true")
    try:
        done = subprocess.run(
            [CLI, "-H", engine.host, "container", "export", "piped"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
            names = tar.getnames()
        assert "bin/sh" in names or "./bin/sh" in names
    finally:
        engine.ok("rm", "piped")
