"""The runtime's start-up over bundles a previous runtime left (no shim runs: no root needed)."""

from __future__ import annotations

from pathlib import Path

from dockyard.api.paths import Paths
from dockyard.services.runtime.tasks import Tasks


async def test_a_bundle_whose_files_a_power_cut_emptied_is_settled(tmp_path: Path) -> None:
    """Bundle files are written without fsync (the state dir): after a power cut one may be
    empty. Its task died with the machine; start-up settles it instead of failing."""
    tasks = Tasks(Paths(tmp_path / "root", tmp_path / "state"))
    bundle = tmp_path / "state" / "runtime" / "tasks" / ("a" * 64)
    bundle.mkdir()
    (bundle / "task.json").write_text("")
    (bundle / "config.json").write_text("")
    await tasks.restore()
    assert tasks.all() == [] and not bundle.exists()
