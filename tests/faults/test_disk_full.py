"""A container that fills the disk costs its log lines at worst, never its state.

The engine's root is a small tmpfs (`full_engine`); a container `dd`s until the filesystem is
full, then prints; every line it prints is either in its log or counted in the log's note of
the gap. The engine records its exit, `stop` works, `rm -f` returns, and then the space is back.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import Engine
from tests.support.faults import own_bridge

pytestmark = pytest.mark.integration

SIZE = "60m"
LINES = 2000
FILL = (
    "echo before; dd if=/dev/zero of=/fill bs=64k; "
    f"i=0; while [ $i -lt {LINES} ]; do i=$((i+1)); echo line-$i; done; exec sleep 600"
)
STEP_SECONDS = 120.0


@pytest.fixture
def full_engine(tmp_path: Path, busybox_tar: Path) -> Iterator[Engine]:
    """An engine whose root is a tmpfs of SIZE (its state dir, sockets and bundles, is not)."""
    root = tmp_path / "root"
    root.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0711", "tmpfs", str(root)]
    subprocess.run(mount, check=True)
    try:
        engine = Engine.start(tmp_path, own_bridge())
        try:
            engine.ok("import", str(busybox_tar), "busybox:latest")
            yield engine
        finally:
            stop_and_clean(engine, ignore=[f"mount {root}"])
    finally:
        subprocess.run(["umount", str(root)], check=False)


def stop_and_clean(engine: Engine, ignore: list[str]) -> None:
    """Remove the containers, stop the engine and take away what it leaves by design (even
    when removing failed); then fail on anything else left behind."""
    try:
        engine.remove_all_containers()
    finally:
        engine.stop()
        leaks = [leak for leak in engine.leaks() if leak not in ignore]
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()
    assert not leaks, f"left behind: {leaks}"


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def wait_until(what: str, check: object) -> None:
    deadline = time.monotonic() + STEP_SECONDS
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


def test_a_container_that_fills_the_disk_is_never_a_ghost(full_engine: Engine) -> None:
    engine = full_engine
    engine.ok("run", "-d", "--name", "filler", "busybox", "sh", "-c", FILL)
    # the step's own marker: the container has printed everything and sleeps
    wait_until("the container sleeps", lambda: "sleep 600" in engine.cli("top", "filler").stdout)
    assert free_bytes(engine.root) < 1024 * 1024
    refused = engine.cli("run", "--rm", "busybox", "echo", "hi", timeout=STEP_SECONDS)
    assert refused.returncode == 125 and "no space left on device" in refused.stderr
    # docker's two lines: the reason, then "See 'docker run --help'." (no traceback)
    assert refused.stderr.splitlines()[1:] == ["See 'dockyard run --help'."], refused.stderr
    assert engine.ok("ps", "-a", "--format", "{{.Names}}") == "filler\n"  # nothing half-made

    stopped = engine.cli("stop", "-t", "1", "filler", timeout=STEP_SECONDS)
    assert stopped.returncode == 0, stopped.stderr
    state = json.loads(engine.ok("inspect", "-f", "{{json .State}}", "filler"))
    assert (state["Running"], state["Status"], state["ExitCode"]) == (False, "exited", 137)
    assert state["Pid"] == 0

    logs = engine.cli("logs", "filler")
    assert logs.returncode == 0
    printed = logs.stdout.splitlines()
    kept = [line for line in printed if line.startswith("line-")]
    assert kept == [f"line-{i}" for i in range(1, len(kept) + 1)]  # a gap only at the end
    notes = re.findall(r"dockyard: (\d+) log lines? dropped: No space left on device", logs.stderr)
    assert notes, logs.stderr
    dd_lines = [line for line in logs.stderr.splitlines() if not line.startswith("dockyard:")]
    # every line the container printed is kept or counted: before, dd's 3 lines, the numbers
    assert len(printed) + len(dd_lines) + sum(map(int, notes)) == 1 + 3 + LINES

    removed = engine.cli("rm", "-f", "filler", timeout=STEP_SECONDS)
    assert removed.returncode == 0, removed.stderr
    assert engine.ok("ps", "-aq") == ""
    assert free_bytes(engine.root) > 40 * 1024 * 1024  # the space is back
    assert engine.ok("run", "--rm", "busybox", "echo", "room again") == "room again\n"
