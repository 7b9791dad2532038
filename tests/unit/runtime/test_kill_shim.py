"""A shim is killed by the pid its bundle records only while that pid is still a shim of this
runtime: after a reboot that kept the state dir (a /run on disk), or a shim long dead, the pid
may be any process's."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from dockyard.services.runtime.tasks import _kill_shim

SLEEP = "import time; time.sleep(60)"


def started(argv: list[str]) -> subprocess.Popen[bytes]:
    """A process whose command line is `argv` already (not its parent's, before exec)."""
    process = subprocess.Popen(argv)
    deadline = time.monotonic() + 30
    while argv[-1].encode() + b"\0" not in Path(f"/proc/{process.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the process did not exec"
        time.sleep(0.01)
    return process


def bundle_of(state: Path, pid: int) -> Path:
    bundle = state / "runtime" / "tasks" / ("a" * 64)
    bundle.mkdir(parents=True)
    (bundle / "shim.pid").write_text(f"{pid}\n")
    return bundle


def test_a_pid_that_is_no_shim_of_ours_is_not_killed(tmp_path: Path) -> None:
    stranger = started([sys.executable, "-c", SLEEP])
    try:
        _kill_shim(bundle_of(tmp_path / "state", stranger.pid))
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_a_shim_of_another_engine_is_not_killed(tmp_path: Path) -> None:
    other_state = f"{tmp_path / 'state'}2/runtime/zygote.sock"  # a state dir named alike
    other = started([sys.executable, "-c", SLEEP, "dockyard.shim", other_state])
    try:
        _kill_shim(bundle_of(tmp_path / "state", other.pid))
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_our_shim_is_killed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    zygote_socket = str(state / "runtime" / "zygote.sock")  # a forked shim's command line
    shim = started([sys.executable, "-c", SLEEP, "dockyard.shim.zygote", zygote_socket])
    _kill_shim(bundle_of(state, shim.pid))
    assert shim.wait(timeout=10) == -9
