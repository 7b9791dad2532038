"""A removed container's layer is deleted after `rm`'s reply (services/snapshots/trash.py):
a kill -9 of the snapshots service between the rename of its directory and its deletion
leaves nothing once the service is back (its start-up reconcile deletes the trash)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.images.test_faults import snapshot_records
from tests.support.engine import CLI, Engine
from tests.support.faults import wait_replaced

pytestmark = pytest.mark.integration

FILES = 20000  # enough that deleting them takes long past the moment the trash is seen


def trash(snapshots: Path) -> list[Path]:
    return list(snapshots.glob("removing-*"))


def test_a_kill_between_the_rename_and_the_deletion_leaves_nothing(
    engine: Engine, busybox: str
) -> None:
    name = f"trash-{secrets.token_hex(3)}"
    script = f"mkdir /many && cd /many && seq {FILES} | xargs touch"
    engine.ok("run", "--name", name, busybox, "sh", "-c", script)
    cid = json.loads(engine.ok("inspect", "-f", "{{json .Id}}", name))
    snapshots = engine.root / "snapshots" / "snapshots"
    pid = engine.service_pid("snapshots")
    removal = subprocess.Popen(
        [CLI, "-H", engine.host, "rm", name],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not trash(snapshots):  # polled: the rename has no event to wait for
        assert time.monotonic() < deadline, "the layer was never renamed aside"
        time.sleep(0.001)
    os.kill(pid, signal.SIGSTOP)  # frozen between the rename and the end of the deletion
    try:
        (left,) = trash(snapshots)
        assert any(left.rglob("*")), "the deletion ended before the kill"
    finally:
        os.kill(pid, signal.SIGKILL)
    removal.communicate(timeout=60)
    wait_replaced(engine, "snapshots", pid)
    if name in engine.ok("ps", "-a", "--format", "{{.Names}}").split():  # killed before the reply
        engine.ok("rm", name)
    assert trash(snapshots) == []
    assert not left.exists()
    assert cid not in [key for key, _ in snapshot_records(engine)]
    assert name not in engine.ok("ps", "-a", "--format", "{{.Names}}").split()
