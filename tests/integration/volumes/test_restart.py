"""Volumes outlive the engine: data and records survive `daemon stop`/start and a kill -9 of
any service, and what a container recorded about its mounts still holds afterwards."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.integration.engine.test_restore import SERVICES, wait_restarted
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def prepare(engine: Engine, busybox: str, tmp_path: Path) -> str:
    """A named volume with data, a running container using it with an anonymous volume and a
    bind; the anonymous volume's name."""
    engine.ok("volume", "create", "--label", "kept=yes", "lasting")
    engine.ok(
        "run", "-d", "--name", "user", "-v", "lasting:/data", "-v", "/anon",
        "-v", f"{tmp_path}:/host", busybox,
        "sh", "-c", "echo before > /data/f; echo anon > /anon/f; sleep 1000",
    )  # fmt: skip
    mounts = json.loads(engine.ok("inspect", "user"))[0]["Mounts"]
    return next(m["Name"] for m in mounts if m["Destination"] == "/anon")


def check(engine: Engine, busybox: str, anonymous: str) -> None:
    """Everything `prepare` made is still there and still works."""
    assert sorted(engine.ok("volume", "ls", "-q").split()) == sorted(["lasting", anonymous])
    (doc,) = json.loads(engine.ok("volume", "inspect", "lasting"))
    assert doc["Labels"] == {"kept": "yes"}
    assert engine.ok("exec", "user", "cat", "/data/f", "/anon/f") == "before\nanon\n"
    out = engine.ok("run", "--rm", "-v", "lasting:/data", busybox, "cat", "/data/f")
    assert out == "before\n"
    in_use = engine.cli("volume", "rm", "lasting")
    assert "volume is in use" in in_use.stderr
    engine.ok("rm", "-f", "-v", "user")  # its anonymous volume goes with it
    assert engine.ok("volume", "ls", "-q") == "lasting\n"
    engine.ok("volume", "rm", "lasting")


def test_volumes_survive_daemon_stop_and_start(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    anonymous = prepare(engine, busybox, tmp_path)
    engine.stop()
    engine.restart()
    check(engine, busybox, anonymous)


@pytest.mark.parametrize("service", SERVICES)
def test_volumes_survive_a_killed_service(
    engine: Engine, busybox: str, tmp_path: Path, service: str
) -> None:
    anonymous = prepare(engine, busybox, tmp_path)
    old = engine.service_pid(service)
    os.kill(old, signal.SIGKILL)
    wait_restarted(engine, service, old)
    check(engine, busybox, anonymous)


def test_a_volume_half_made_by_a_killed_service_is_settled_at_start(
    engine: Engine, busybox: str
) -> None:
    """What a kill -9 in the middle of a create or a removal leaves: found and settled when the
    snapshots service starts again, before it serves."""
    volumes = engine.root / "snapshots" / "volumes"
    (volumes / ".creating-deadbeef" / "_data").mkdir(parents=True)  # cut before its record
    (volumes / ".removing-deadbeef").mkdir()  # cut before its data was deleted
    restored = volumes / "restored" / "_data"  # data without a record: adopted, never deleted
    restored.mkdir(parents=True)
    (restored / "precious").write_text("kept\n")
    old = engine.service_pid("snapshots")
    os.kill(old, signal.SIGKILL)
    wait_restarted(engine, "snapshots", old)
    assert sorted(os.listdir(volumes)) == ["restored"]
    out = engine.ok("run", "--rm", "-v", "restored:/r", busybox, "cat", "/r/precious")
    assert out == "kept\n"
    engine.ok("volume", "rm", "restored")
