"""Builds are fed hostile input: a context tar, an archive for ADD, and the files earlier steps
(or other stages, or images) left — symlinks aimed at host paths, absolute or climbing, names
that climb. Nothing is ever read from or written to the host through them: every path is
resolved inside its root."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """A host directory a hostile build aims at, with a secret in it."""
    directory = tmp_path / "host-side"
    directory.mkdir()
    (directory / "secret").write_text("host secret\n")
    return directory


def test_copy_through_symlinks_a_run_planted_stays_inside(
    context: Context, busybox: str, host: Path
) -> None:
    context.write("payload", "payload\n")
    climb = "../" * 12 + str(host).lstrip("/")
    context.dockerfile(
        f"FROM {busybox}\n"
        f"RUN ln -s {host} /absolute && ln -s {climb} /climbing\n"
        "COPY payload /absolute/\n"
        "COPY payload /climbing/again\n"
    )
    context.ok("-t", "planted")
    assert sorted(p.name for p in host.iterdir()) == ["secret"]  # nothing written on the host
    inside = context.engine.ok("run", "--rm", "planted", "ls", str(host))
    assert sorted(inside.split()) == ["again", "payload"]  # written where the links lead, inside


def test_copy_from_a_stage_never_reads_the_host_through_its_links(
    context: Context, busybox: str, host: Path
) -> None:
    context.dockerfile(
        f"FROM {busybox} AS hostile\n"
        f"RUN mkdir /dir && ln -s {host}/secret /dir/link && ln -s {host}/secret /top\n"
        f"FROM {busybox}\n"
        "COPY --from=hostile /dir /copied\n"
    )
    context.ok("-t", "linked")
    script = "readlink /copied/link; cat /copied/link 2>&1 || true"
    assert context.engine.ok("run", "--rm", "linked", "sh", "-c", script) == (
        f"{host}/secret\ncat: can't open '/copied/link': No such file or directory\n"
    )
    context.dockerfile(
        f"FROM {busybox} AS hostile\nRUN ln -s {host}/secret /top\nFROM {busybox}\nCOPY --from=hostile /top /top\n"
    )
    result = context.build()
    assert result.returncode == 1 and "host secret" not in result.stdout + result.stderr
    assert "not found" in result.stderr


def _tar(entries: list[tuple[str, str, str]]) -> bytes:
    """(name, kind, text or link target) entries as a tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, value in entries:
            info = tarfile.TarInfo(name)
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, value
                tar.addfile(info)
            else:
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value.encode()))
    return buffer.getvalue()


def _build_stdin(engine: Engine, data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [CLI, "-H", engine.host, "build", *args, "-"],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_context_tar_cannot_write_outside_the_context(
    engine: Engine, busybox: str, host: Path
) -> None:
    dockerfile = f"FROM {busybox}\nCOPY . /ctx/\n"
    climbing = _tar([("Dockerfile", "file", dockerfile), ("../../escaped", "file", "x")])
    result = _build_stdin(engine, climbing)
    assert result.returncode == 1
    assert b"the build context has an entry outside it" in result.stderr
    through_link = _tar(
        [
            ("Dockerfile", "file", dockerfile),
            ("link", "link", str(host)),
            ("link/dropped", "file", "x"),
        ]
    )
    result = _build_stdin(engine, through_link, "-t", "ctx-links")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in host.iterdir()) == ["secret"]
    assert engine.ok("run", "--rm", "ctx-links", "cat", f"/ctx{host}/dropped") == "x"


def test_add_of_a_hostile_archive(context: Context, busybox: str, host: Path) -> None:
    (context.path / "climbs.tar").write_bytes(_tar([("../../../x", "file", "x")]))
    context.dockerfile(f"FROM {busybox}\nADD climbs.tar /opt/\n")
    result = context.build()
    assert result.returncode == 1 and "breaks out of the destination" in result.stderr
    linked = _tar([("link", "link", str(host)), ("link/dropped", "file", "y")])
    (context.path / "links.tar").write_bytes(linked)
    context.dockerfile(f"FROM {busybox}\nADD links.tar /opt/\n")
    context.ok("-t", "add-links")
    assert sorted(p.name for p in host.iterdir()) == ["secret"]
    assert context.engine.ok("run", "--rm", "add-links", "cat", f"{host}/dropped") == "y"
