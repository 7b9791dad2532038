"""Finding an engine's processes by the pids they record, checked by the lock file they hold."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.api import instances
from dockyard.api.paths import Paths

HOLDER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.write(fd, f"{os.getpid()}\\n".encode())
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "root", tmp_path / "state")


@pytest.fixture
def holder(paths: Paths) -> Iterator[subprocess.Popen[str]]:
    """A process that holds `<state>/images.lock` open with its pid in it, as a service does."""
    paths.state.mkdir(parents=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(paths.state / "images.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    yield process
    process.kill()
    process.wait()
    process.stdout.close()


def test_a_service_counts_while_it_holds_its_lock(
    paths: Paths, holder: subprocess.Popen[str]
) -> None:
    assert instances.running_services(paths) == {"images": holder.pid}
    pinned = instances.pin(paths, "images")
    assert pinned is not None and not pinned.exited()
    assert pinned.terminate(grace=5)
    pinned.close()
    holder.wait()
    assert instances.running_services(paths) == {}


def test_a_recorded_pid_that_does_not_hold_the_lock_is_not_ours(paths: Paths) -> None:
    paths.state.mkdir(parents=True)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as stranger:
        (paths.state / "engine.lock").write_text(f"{stranger.pid}\n")  # a reused pid
        (paths.state / "supervisor.pid").write_text(f"{stranger.pid}\n")
        assert instances.pin(paths, "engine") is None
        assert instances.running(paths, instances.SUPERVISOR) == 0
        stranger.kill()
    (paths.state / "runtime.lock").write_text("garbage")
    assert instances.running_services(paths) == {}


def test_a_process_without_a_lock_is_ours_by_the_record_and_its_command_line(
    paths: Paths,
) -> None:
    """The CLI's command server holds no lock: its pid in supervisor.json counts while that
    process is `-m <its module> … --state <this state dir>`."""
    paths.state.mkdir(parents=True)
    sleep = [sys.executable, "-c", "import time; time.sleep(60)", "-m", paths.module("cli")]
    with (
        subprocess.Popen([*sleep, "--state", str(paths.state)]) as server,
        subprocess.Popen([*sleep, "--state", "/elsewhere"]) as other,
    ):
        record = {"pid": 1, "services": {"cli": {"pid": server.pid}, "images": {"pid": other.pid}}}
        (paths.state / "supervisor.json").write_text(json.dumps(record))
        assert instances.running_services(paths) == {"cli": server.pid}
        server.kill()
        other.kill()
