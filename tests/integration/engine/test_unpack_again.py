"""An image whose layers left the snapshotter (wiped, or removed by hand) runs all the same:
the engine asks the images service to unpack it again before it prepares the container."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from pathlib import Path

import pytest
from dockyard.api import bootstrap
from dockyard.snapshots.v1 import snapshots_pb2 as pb
from dockyard.snapshots.v1 import snapshots_pb2_grpc as rpc

from tests.support.engine import Engine
from tests.support.rootfs import add_file, rootfs_tar

pytestmark = pytest.mark.integration


def _tarball(path: Path) -> Path:
    """busybox plus a file of its own, so its layer is no other image's."""
    buffer = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(rootfs_tar())) as source,
        tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for member in source.getmembers():
            tar.addfile(member, source.extractfile(member) if member.isfile() else None)
        add_file(tar, "etc/unpacked-again", b"yes\n")
    path.write_bytes(buffer.getvalue())
    return path


async def _remove_snapshot(engine: Engine, key: str) -> None:
    channel = bootstrap.dial(f"unix://{engine.state / 'snapshots.sock'}", "dockyard-snapshots")
    try:
        await rpc.SnapshotsStub(channel).Remove(pb.RemoveSnapshotRequest(key=key), timeout=30)
    finally:
        await channel.close()


def test_a_container_of_an_image_whose_layers_are_gone(engine: Engine, tmp_path: Path) -> None:
    engine.ok("import", str(_tarball(tmp_path / "image.tar")), "unpack-again:latest")
    try:
        found = json.loads(engine.ok("image", "inspect", "unpack-again"))[0]
        (layer,) = found["RootFS"]["Layers"]  # one layer: its chain ID is its diff ID
        asyncio.run(_remove_snapshot(engine, layer))
        result = engine.cli("run", "--rm", "unpack-again", "cat", "/etc/unpacked-again")
        assert (result.returncode, result.stdout) == (0, "yes\n"), result.stderr
    finally:
        engine.ok("rmi", "unpack-again")
