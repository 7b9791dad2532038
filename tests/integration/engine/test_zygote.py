"""The runtime's shim zygote is forked from the runtime before its gRPC starts, so that it
shares the supervisor's preloaded pages (`services/runtime/zygote.py`), and holds nothing of
the runtime's but its own socket; a runtime killed with SIGKILL comes back with a new forked
zygote, and the containers run on.

A process forked from another keeps its address space's layout: its `[heap]` starts where its
parent's does, where an exec'd one's is placed afresh (at random, with the kernel's address
space randomisation, which the tests require)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from tests.support.engine import Engine, _parent, _processes
from tests.support.faults import kill_service, wait_replaced

pytestmark = pytest.mark.integration

SOCKET_KINDS = ("socket:", "anon_inode:[eventpoll]")


@pytest.fixture(autouse=True)
def _randomised() -> None:
    if Path("/proc/sys/kernel/randomize_va_space").read_text().strip() == "0":
        pytest.skip("no address space randomisation: a fork and an exec look alike")


def zygote_of(engine: Engine) -> int:
    """The runtime's zygote (waiting for one to be there, as after a restart)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runtime = engine.service_pid("runtime")
        found = [
            p for p, cmd in _processes() if "dockyard.shim.zygote" in cmd and _parent(p) == runtime
        ]
        if found:
            (pid,) = found
            return pid
        time.sleep(0.05)
    raise AssertionError(f"the runtime has no zygote:\n{engine.log_tail()}")


def heap_start(pid: int) -> str:
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        if line.endswith("[heap]"):
            return line.split("-")[0]
    raise AssertionError(f"process {pid} has no [heap]")


def test_the_zygote_is_forked_by_the_runtime_and_holds_only_its_own_fds(engine: Engine) -> None:
    zygote, runtime = zygote_of(engine), engine.service_pid("runtime")
    assert heap_start(zygote) == heap_start(runtime)  # forked, not exec'd
    argv = Path(f"/proc/{zygote}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    sock = engine.state / "runtime" / "zygote.sock"
    assert [a.decode() for a in argv[1:]] == ["-m", "dockyard.shim.zygote", "--socket", str(sock)]
    fds = {
        int(fd): os.readlink(f"/proc/{zygote}/fd/{fd}") for fd in os.listdir(f"/proc/{zygote}/fd")
    }
    others = {fd: what for fd, what in fds.items() if fd > 2 and not what.startswith(SOCKET_KINDS)}
    assert not others, f"the zygote holds the runtime's fds: {others}"
    sockets = [what for fd, what in fds.items() if fd > 2 and what.startswith("socket:")]
    assert sockets == [f"socket:[{_inode_of(sock)}]"]  # its listener, and no other socket


def test_a_killed_runtime_forks_a_new_zygote_and_containers_run_on(
    engine: Engine, busybox: str
) -> None:
    name = "zygote-lasting"
    engine.ok("run", "-d", "--name", name, busybox, "sleep", "600")
    try:
        pid = int(engine.ok("inspect", "-f", "{{.State.Pid}}", name))
        old_zygote = zygote_of(engine)
        wait_replaced(engine, "runtime", kill_service(engine, "runtime"))
        zygote = zygote_of(engine)
        assert zygote != old_zygote
        assert heap_start(zygote) == heap_start(engine.service_pid("runtime"))
        _wait_gone(old_zygote)  # it died with its runtime (and was reaped)
        os.kill(pid, 0)  # the container runs on
        assert engine.ok("inspect", "-f", "{{.State.Running}}", name) == "true\n"
        assert engine.ok("run", "--rm", busybox, "echo", "forked") == "forked\n"
    finally:
        engine.ok("rm", "-f", name)


def _inode_of(path: Path) -> int:
    """The inode of the socket bound at `path`, from /proc/net/unix (the file's own inode is
    not the socket's)."""
    assert stat.S_ISSOCK(path.stat().st_mode)
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) == 8 and fields[7] == str(path):
            return int(fields[6])
    raise AssertionError(f"nothing listens on {path}")


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"process {pid} outlived its runtime"
        time.sleep(0.05)
