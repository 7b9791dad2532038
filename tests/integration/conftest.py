"""Fixtures for integration tests: one whole engine per session, a busybox image, leak checks.

Tests that use `engine` get `clean_engine` too: after each test every container left is removed
and then nothing the containers made may remain (mounts, processes, cgroups, netns files).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import Registry
from tests.support.rootfs import rootfs_tar


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    # 127.0.0.3 plays an insecure (plain HTTP) registry that is not loopback by name
    # "dns": containers' names that are not containers' are asked of 127.0.0.1 (a test's own
    # server, or nobody), never of the host's real resolvers: test traffic stays on this host
    engine = Engine.start(
        tmp_path_factory.mktemp("engine"),
        {"insecure-registries": ["127.0.0.3/32"], "dns": ["127.0.0.1"]},
    )
    try:
        yield engine
    finally:
        leaks = engine.shut_down()
        assert not leaks, f"the engine left behind: {leaks}"


@pytest.fixture(autouse=True)
def clean_engine(request: pytest.FixtureRequest) -> Iterator[None]:
    if "engine" not in request.fixturenames:
        yield
        return
    engine: Engine = request.getfixturevalue("engine")
    yield
    engine.remove_all_containers()
    leaks = engine.leaks()
    assert not leaks, f"left behind after the test: {leaks}"


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """An anonymous registry on 127.0.0.1 holding busybox, the layered image and an index."""
    with Registry.start(tmp_path_factory.mktemp("registry")) as registry:
        images.push(registry, "library/busybox", "latest", images.busybox_image())
        images.push(registry, "test/layered", "latest", images.layered_image())
        configured = images.busybox_image(
            Env=["GREETING=hello from the image"],
            Cmd=["sh", "-c", "echo $GREETING"],
            WorkingDir="/tmp",
            User="nobody",
        )
        images.push(registry, "test/configured", "v1", configured)
        arm = images.Image([images.busybox_layer()], {"Cmd": ["uname", "-m"]}, architecture="arm64")
        amd = images.Image([images.busybox_layer()], {"Cmd": ["uname", "-m"]}, oci=True)
        images.push_index(registry, "test/multi", "latest", {"amd64": amd, "arm64": arm}, oci=True)
        yield registry


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "busybox.tar"
    path.write_bytes(rootfs_tar())
    return path


@pytest.fixture(scope="session")
def busybox(engine: Engine, busybox_tar: Path) -> str:
    """The name of an offline busybox image imported into the session's engine."""
    engine.ok("import", str(busybox_tar), "busybox:latest")
    return "busybox:latest"
