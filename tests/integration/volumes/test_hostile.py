"""Hostile paths: a mount target, a volume's image content or a `cp` path that is a symlink to
the host (absolute, or climbing with `../`) is resolved inside the container's root, never on
the host; nothing is written, read or mounted there (issue 12 item 6, issue 8 item 1)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.engine.test_hostile_rootfs import (
    CLIMB,
    assert_untouched,
    host_dir,
    hostile_image,
)
from tests.integration.volumes.conftest import until
from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


def bind_device(engine: Engine, device: Path, name: str) -> None:
    device.mkdir()
    engine.ok("volume", "create", "-o", "type=none", "-o", "o=bind", "-o", f"device={device}", name)


def link_to(target: Path, climb: bool) -> str:
    return CLIMB + str(target).lstrip("/") if climb else str(target)


@pytest.mark.parametrize("climb", [False, True], ids=["absolute", "climbing"])
def test_mount_targets_leading_to_the_host_mount_inside(
    engine: Engine, tmp_path: Path, climb: bool
) -> None:
    target = host_dir(tmp_path)
    source = tmp_path / "source"
    source.mkdir()
    links = {f"m{i}": link_to(target / f"d{i}", climb) for i in range(3)}
    image = hostile_image(engine, tmp_path, links)
    script = "echo v > /m0/f && echo b > /m1/f && echo t > /m2/f && echo ok"
    out = engine.ok(
        "run", "--rm", "-v", "hostile:/m0", "-v", f"{source}:/m1",
        "--mount", "type=tmpfs,target=/m2", image, "sh", "-c", script,
    )  # fmt: skip
    assert out == "ok\n"
    assert (source / "f").read_text() == "b\n"
    assert_untouched(target)
    engine.ok("volume", "rm", "hostile")


@pytest.mark.parametrize("device", [False, True], ids=["plain", "bind-device"])
def test_an_empty_volume_is_filled_from_the_rootfs_never_from_the_host(
    engine: Engine, tmp_path: Path, device: bool
) -> None:
    """A volume with a device (here a bind of a host directory) is filled on it: the same."""
    target = host_dir(tmp_path)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key").write_text("host secret\n")
    image = hostile_image(engine, tmp_path, {"data": str(secret), "up": CLIMB + str(secret)[1:]})
    for volume, path in (("filled1", "/data"), ("filled2", "/up")):
        if device:
            bind_device(engine, tmp_path / volume, volume)
        out = engine.ok("run", "--rm", "-v", f"{volume}:{path}", image, "ls", "-A", path)
        assert out == ""  # the link leads to a path the rootfs does not have: nothing to copy
        assert not device or list((tmp_path / volume).iterdir()) == []
    if device:  # what the rootfs does have is copied onto the device
        bind_device(engine, tmp_path / "filled3", "filled3")
        engine.ok("run", "--rm", "-v", "filled3:/etc", image, "true")
        assert "passwd" in os.listdir(tmp_path / "filled3")
        engine.ok("volume", "rm", "filled3")
    assert sorted(p.name for p in secret.iterdir()) == ["key"]
    assert_untouched(target)
    engine.ok("volume", "rm", "filled1", "filled2")


@pytest.mark.parametrize("running", [True, False], ids=["running", "stopped"])
def test_cp_never_leaves_the_containers_root(
    engine: Engine, busybox: str, tmp_path: Path, running: bool
) -> None:
    target = host_dir(tmp_path)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key").write_text("host secret\n")
    plant = (
        f"ln -s {secret} /abs && ln -s {CLIMB}{str(secret)[1:]} /climb && "
        f"ln -s {target} /into && mkdir -p {secret} {target} && echo decoy > {secret}/key"
    )
    if running:
        engine.ok("run", "-d", "--name", "planted", busybox, "sh", "-c", f"{plant}; sleep 1000")
        until(lambda: engine.cli("exec", "planted", "test", "-L", "/into").returncode == 0)
    else:
        engine.ok("run", "--name", "planted", busybox, "sh", "-c", plant)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("abs", "climb"):
        engine.ok("cp", f"planted:/{name}/key", str(out / name))
        assert (out / name).read_text() == "decoy\n"  # the container's file, not the host's
    engine.ok("cp", "-L", "planted:/abs", str(out / "followed"))
    assert (out / "followed" / "key").read_text() == "decoy\n"
    (tmp_path / "payload").write_text("planted\n")
    engine.ok("cp", str(tmp_path / "payload"), "planted:/into/")
    engine.ok("cp", str(tmp_path / "payload"), "planted:/climb/")
    tar = subprocess.run(
        [CLI, "-H", engine.host, "cp", f"planted:{target}/payload", "-"], capture_output=True
    )
    assert tar.returncode == 0 and b"planted\n" in tar.stdout  # made inside the container
    assert_untouched(target)
    assert sorted(p.name for p in secret.iterdir()) == ["key"]
    assert (secret / "key").read_text() == "host secret\n"
