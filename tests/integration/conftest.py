"""Fixtures for integration tests: one whole engine per session, a busybox image, leak checks.

Tests that use `engine` get `clean_engine` too: after each test every container left is removed
and then nothing the containers made may remain (mounts, processes, cgroups, netns files).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import Engine
from tests.support.rootfs import rootfs_tar


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = Engine.start(tmp_path_factory.mktemp("engine"))
    try:
        yield engine
    finally:
        engine.remove_all_containers()
        engine.stop()
        leaks = engine.leaks()
        engine.remove_cgroup_parent()
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
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "busybox.tar"
    path.write_bytes(rootfs_tar())
    return path


@pytest.fixture(scope="session")
def busybox(engine: Engine, busybox_tar: Path) -> str:
    """The name of an offline busybox image imported into the session's engine."""
    engine.ok("import", str(busybox_tar), "busybox:latest")
    return "busybox:latest"
