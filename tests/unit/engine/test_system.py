"""`info` and `version` over the fakes."""

from __future__ import annotations

from dockyard.api.config import DaemonConfig
from dockyard.api.paths import Paths
from dockyard.services.engine import system

from .conftest import Rig


async def test_info_counts_containers_and_images_and_asks_each_service(rig: Rig) -> None:
    await rig.run("up")
    await rig.create("idle")
    rig.clients.health.services["network"] = "unavailable"  # type: ignore[attr-defined]
    paths = Paths(rig.root / "root", rig.root / "state")
    info = await system.info(paths, DaemonConfig(), rig.store, rig.clients)
    assert (info.containers, info.containers_running, info.containers_stopped) == (2, 1, 1)
    assert info.images == 1
    assert info.services["network"] == "unavailable" and info.services["images"] == "ok"
    assert info.root_dir == str(rig.root / "root") and "dockyard" in info.runtimes


def test_version_names_the_host() -> None:
    version = system.version()
    assert version.os == "linux" and version.arch == system.arch()
