"""`dockyard daemon start|status|stop`, two engines side by side, version and info."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from dockyard.api.paths import SERVICES

from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


def _dockyard(base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "DOCKYARD_ROOT": str(base / "root"),
        "DOCKYARD_STATE": str(base / "state"),
        "DOCKYARD_HOST": f"unix://{base}/state/dockyard.sock",
        "DOCKYARD_CONFIG": str(base / "daemon.json"),
    }
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL
    )


def test_daemon_start_status_stop_and_a_second_engine_beside_the_first(
    engine: Engine, busybox: str, busybox_tar: Path, tmp_path: Path
) -> None:
    bridge = f"dyt{secrets.token_hex(4)}"
    (tmp_path / "daemon.json").write_text(
        json.dumps({"cgroup-parent": "dockyard-test-second", "bridge": bridge})
    )
    started = _dockyard(tmp_path, "daemon", "start")
    try:
        assert started.returncode == 0, started.stderr
        status = _dockyard(tmp_path, "daemon", "status")
        assert status.returncode == 0
        states = [line.split()[2] for line in status.stdout.splitlines()[2:]]
        assert states == ["running"] * (len(SERVICES) - 1) + ["listening"]  # dockerapi: no client
        assert "already running" in _dockyard(tmp_path, "daemon", "start").stdout
        assert _dockyard(tmp_path, "import", str(busybox_tar), "second:latest").returncode == 0
        second = _dockyard(
            tmp_path, "run", "-d", "--name", "twin", "second", "sleep", "60"
        ).stdout.strip()
        first = engine.ok("run", "-d", "--name", "twin", busybox, "sleep", "60").strip()
        assert first != second  # the same name in two engines: two containers
        assert _dockyard(tmp_path, "ps", "-q").stdout.split() == [second[:12]]
        assert engine.ok("ps", "-q").split() == [first[:12]]
        assert _dockyard(tmp_path, "rm", "-f", "twin").returncode == 0
        engine.ok("rm", "-f", "twin")
    finally:
        stopped = _dockyard(tmp_path, "daemon", "stop")
        for parent in Path("/sys/fs/cgroup").glob("*/dockyard-test-second"):
            parent.rmdir()
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        tag = (tmp_path / "root" / "network" / "tag").read_text().strip()
        subprocess.run(["nft", "delete", "table", "ip", f"dockyard_{tag}"], check=False)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _dockyard(tmp_path, "daemon", "status").returncode == 3  # LSB: not running
    assert "Cannot connect to the Dockyard daemon" in _dockyard(tmp_path, "ps").stderr


def test_version_and_info(engine: Engine, busybox: str) -> None:
    assert "Server: Dockyard Engine" in engine.ok("version")
    assert engine.ok("version", "-f", "{{.Server.Os}}") == "linux\n"
    info = engine.ok("info")
    assert "Storage Driver: overlayfs" in info and "Cgroup Driver: cgroupfs" in info
    assert engine.ok("info", "-f", "{{.Services.runtime}}") == "ok\n"
    assert " Security Options:\n  seccomp\n   Profile: default\n" in info  # as docker's
