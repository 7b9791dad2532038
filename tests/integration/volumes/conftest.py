"""Fixtures for the volume tests: an image with a VOLUME and content there, and a check after
each test that it left no volume behind (on top of the engine fixture's leak checks)."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.images import Image, Layer, tar_of
from tests.support.registry import Registry
from tests.support.rootfs import MTIME

APP_UID, APP_GID = 1000, 1001


def app_layer() -> Layer:
    """/var/lib/app as an image ships it: owned by the app's user, a private file with an
    xattr, a setuid tool, a symlink, a hardlink."""
    root = (0, 0)
    entries = [
        _entry("var", tarfile.DIRTYPE, 0o755, owner=root),
        _entry("var/lib", tarfile.DIRTYPE, 0o755, owner=root),
        _entry("var/lib/app", tarfile.DIRTYPE, 0o750),
        _entry("var/lib/app/seed", tarfile.REGTYPE, 0o640, b"from the image\n", xattr="image"),
        _entry("var/lib/app/tool", tarfile.REGTYPE, 0o4755, b"#!/bin/sh\n"),
        _entry("var/lib/app/link", tarfile.SYMTYPE, 0o777, link="seed"),
        _entry("var/lib/app/hard", tarfile.LNKTYPE, 0o640, link="var/lib/app/seed"),
    ]

    def build(tar: tarfile.TarFile) -> None:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)

    return Layer(tar_of(build))


def _entry(
    name: str,
    kind: bytes,
    mode: int,
    data: bytes = b"",
    owner: tuple[int, int] = (APP_UID, APP_GID),
    link: str = "",
    xattr: str = "",
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, (info.uid, info.gid) = kind, mode, MTIME, owner
    info.size, info.linkname = len(data), link
    if xattr:
        info.pax_headers = {"SCHILY.xattr.user.origin": xattr}
    return info, data


def until(check: Callable[[], bool], seconds: float = 60) -> None:
    """Wait for what a container does in its own time (each check is a command round-trip)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"


@pytest.fixture(scope="session")
def volumed(engine: Engine, registry: Registry) -> str:
    """An image with VOLUME /var/lib/app and content there, pulled into the engine."""
    image = Image(
        [images.busybox_layer(), app_layer()],
        {"Cmd": ["sh"], "Volumes": {"/var/lib/app": {}}},
    )
    images.push(registry, "test/volumed", "latest", image)
    ref = f"{registry.host}/test/volumed:latest"
    engine.ok("pull", ref)
    return ref


@pytest.fixture(autouse=True)
def no_volume_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test (and its containers' removal): every volume is gone again."""
    if "engine" not in request.fixturenames:
        yield
        return
    engine: Engine = request.getfixturevalue("engine")
    yield
    engine.remove_all_containers()
    left = engine.ok("volume", "ls", "-q").split()
    if left:
        engine.cli("volume", "rm", "-f", *left)
    assert not left, f"volumes left behind: {left}"
