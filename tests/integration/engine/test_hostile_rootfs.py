"""Images that plant symlinks where the container's set-up writes: nothing lands on the host.

Each image is the busybox rootfs with one path replaced by a link to a directory of the host
(absolute, or climbing with `../`): /dev, /dev/null, /etc/hosts, /etc/resolv.conf,
/etc/hostname, a working directory, a tmpfs target. The container must still run, the host
directory must stay empty, and no mount may appear there (issue 8, item 1).
"""

from __future__ import annotations

import io
import secrets
import tarfile
from pathlib import Path

import pytest

from tests.support.engine import Engine
from tests.support.images import tar_of
from tests.support.rootfs import add_symlink, rootfs_tar

pytestmark = pytest.mark.integration

CLIMB = "../" * 16


def hostile_tar(links: dict[str, str]) -> bytes:
    """The busybox rootfs with `links` (path → link text) in place of what it had there."""

    def build(tar: tarfile.TarFile) -> None:
        with tarfile.open(fileobj=io.BytesIO(rootfs_tar())) as base:
            for member in base.getmembers():
                if any(member.name == p or member.name.startswith(f"{p}/") for p in links):
                    continue
                tar.addfile(member, base.extractfile(member) if member.isfile() else None)
        for path, text in links.items():
            add_symlink(tar, path, text)

    return tar_of(build)


def hostile_image(engine: Engine, tmp_path: Path, links: dict[str, str]) -> str:
    path = tmp_path / "hostile.tar"
    path.write_bytes(hostile_tar(links))
    name = f"hostile-{secrets.token_hex(4)}:latest"
    engine.ok("import", str(path), name)
    return name


def host_dir(tmp_path: Path) -> Path:
    """A directory of the host the image's links point at; it must stay empty."""
    target = tmp_path / "host"
    target.mkdir()
    return target


def assert_untouched(target: Path) -> None:
    assert sorted(p.name for p in target.iterdir()) == []
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(target) not in mounts


@pytest.mark.parametrize("climb", [False, True], ids=["absolute", "climbing"])
def test_dev_leading_to_the_host(engine: Engine, tmp_path: Path, climb: bool) -> None:
    target = host_dir(tmp_path)
    text = CLIMB + str(target).lstrip("/") if climb else str(target)
    image = hostile_image(engine, tmp_path, {"dev": text})
    out = engine.ok("run", "--rm", image, "sh", "-c", "ls /dev/; echo x > /dev/null && echo ok")
    assert {"null", "zero", "urandom", "tty", "fd", "ptmx"} <= set(out.split()), out
    assert out.endswith("ok\n")
    assert_untouched(target)


def test_dev_null_leading_to_the_host(engine: Engine, tmp_path: Path) -> None:
    target = host_dir(tmp_path)
    image = hostile_image(engine, tmp_path, {"dev/null": f"{target}/null"})
    assert engine.ok("run", "--rm", image, "sh", "-c", "echo x > /dev/null; echo ok") == "ok\n"
    assert_untouched(target)


def test_etc_files_leading_to_the_host(engine: Engine, tmp_path: Path) -> None:
    target = host_dir(tmp_path)
    links = {
        "etc/hosts": f"{target}/hosts",
        "etc/resolv.conf": CLIMB + f"{str(target).lstrip('/')}/resolv.conf",
        "etc/hostname": f"/../..{target}/hostname",
    }
    image = hostile_image(engine, tmp_path, links)
    out = engine.ok(
        "run", "--rm", "--hostname", "harbour", image, "sh", "-c", "cat /etc/hostname /etc/hosts"
    )
    assert out.startswith("harbour\n") and "localhost" in out
    assert_untouched(target)


def test_a_working_directory_leading_to_the_host(engine: Engine, tmp_path: Path) -> None:
    target = host_dir(tmp_path)
    image = hostile_image(engine, tmp_path, {"work": CLIMB + str(target).lstrip("/")})
    # made inside the rootfs, at the path the link names there
    assert engine.ok("run", "--rm", "-w", "/work/sub", image, "pwd") == f"{target}/sub\n"
    assert_untouched(target)


def test_a_tmpfs_target_leading_to_the_host(engine: Engine, tmp_path: Path) -> None:
    target = host_dir(tmp_path)
    image = hostile_image(engine, tmp_path, {"data": str(target)})
    script = f"echo secret > /data/f && grep -c ' {target} tmpfs ' /proc/mounts"
    assert engine.ok("run", "--rm", "--tmpfs", "/data", image, "sh", "-c", script) == "1\n"
    assert_untouched(target)


def test_a_missing_working_directory_is_made_as_docker_does(engine: Engine, busybox: str) -> None:
    assert engine.ok("run", "--rm", "-w", "/made/here", busybox, "pwd") == "/made/here\n"
