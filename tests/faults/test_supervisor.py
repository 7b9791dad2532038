"""A killed supervisor is recoverable from the CLI, and a crashed service is back quickly.

Each test here kills the supervisor of an engine of its own (never the session's), by pid.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.api import instances
from dockyard.api.paths import SERVICES, Paths

from tests.support.engine import Engine
from tests.support.faults import daemon, kill_service, own_bridge, wait_replaced, wake_docker_api

pytestmark = pytest.mark.integration


@pytest.fixture
def own_engine(tmp_path: Path, busybox_tar: Path) -> Iterator[Engine]:
    """An engine whose supervisor a test may kill; whatever runs for it at the end is stopped."""
    engine = Engine.start(tmp_path, own_bridge())
    engine.ok("import", str(busybox_tar), "busybox:latest")
    try:
        yield engine
    finally:
        if not instances.running(_paths(engine), instances.SUPERVISOR):
            daemon(engine, "start")
        engine.remove_all_containers()
        daemon(engine, "stop")
        engine.process.wait(timeout=30)  # reaped (a test that did not kill it stopped it here)
        leaks = [f"process {pid}" for pid in _engine_processes(engine)] + engine.leaks()
        for pid in _engine_processes(engine):  # whatever a failed test left: this engine's only
            os.kill(pid, signal.SIGKILL)
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()
        assert not leaks, f"left behind: {leaks}"


def _paths(engine: Engine) -> Paths:
    return Paths(engine.root, engine.state)


def _engine_processes(engine: Engine) -> list[int]:
    """Every process of this engine's (its state dir, unique to the test, is on its command
    line): services, the shim zygote, shims."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(engine.state) in cmdline:
                found.append(int(entry.name))
    return found


def _kill_supervisor(engine: Engine) -> None:
    os.kill(engine.process.pid, signal.SIGKILL)
    engine.process.wait(timeout=30)


def test_a_killed_supervisor_is_told_adopted_and_stopped_without_touching_containers(
    own_engine: Engine,
) -> None:
    engine = own_engine
    engine.ok("run", "-d", "--name", "lasting", "busybox", "sleep", "600")
    container_pid = engine.ok("inspect", "-f", "{{.State.Pid}}", "lasting")
    wake_docker_api(engine)  # the front runs once a client came (else the supervisor listens)
    services = instances.running_services(_paths(engine))
    assert list(services) == list(SERVICES)
    _kill_supervisor(engine)

    status = daemon(engine, "status")
    assert status.returncode == 1, status.stdout  # LSB: dead, its pid file left behind
    assert f"supervisor (pid {engine.process.pid}) is not running" in status.stdout
    assert status.stdout.count("running (unsupervised)") == len(SERVICES)
    assert engine.ok("ps", "--format", "{{.Names}}") == "lasting\n"  # the engine still answers

    started = daemon(engine, "start")
    assert started.returncode == 0, started.stderr
    assert f"adopted the running {', '.join(SERVICES)}" in started.stdout
    assert instances.running_services(_paths(engine)) == services  # the same processes
    assert daemon(engine, "status").returncode == 0
    assert engine.ok("inspect", "-f", "{{.State.Pid}}", "lasting") == container_pid

    # an adopted service is not the new supervisor's child: it still comes back when killed
    old = kill_service(engine, "runtime")
    wait_replaced(engine, "runtime", old)
    assert engine.ok("run", "--rm", "busybox", "echo", "after") == "after\n"

    os.kill(instances.running(_paths(engine), instances.SUPERVISOR), signal.SIGKILL)
    stopped = daemon(engine, "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stderr
    assert instances.running_services(_paths(engine)) == {}
    assert not (engine.state / "docker.sock").exists()  # the front removed what it was handed
    assert daemon(engine, "status").returncode == 3  # LSB: not running
    assert os.path.exists(f"/proc/{container_pid.strip()}")  # containers outlive the services
    assert daemon(engine, "start").returncode == 0
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "lasting") == "true\n"


def test_a_service_killed_again_and_again_is_restarted_within_the_short_cap(
    engine: Engine, busybox: str
) -> None:
    """Five kills in a row, each once the engine service is back: none waits more than 1 s
    (the supervisor's own account of each delay, in its log)."""
    log = engine.root / "logs" / "supervisor.log"
    before = len(log.read_text().splitlines())
    for _ in range(5):
        old = kill_service(engine, "engine")
        wait_replaced(engine, "engine", old)
    lines = log.read_text().splitlines()[before:]
    delays = [
        float(m[1]) for line in lines if (m := re.search(r"engine exited .* in ([\d.]+)s", line))
    ]
    assert len(delays) == 5 and max(delays) <= 1.0, delays
    assert engine.ok("run", "--rm", busybox, "echo", "back") == "back\n"


def test_a_service_restarted_after_its_code_changed_is_execd_afresh(own_engine: Engine) -> None:
    """Services are forked from the supervisor's preloaded modules; once a loaded file changed
    on disk (an upgrade), a restarted service is exec'd instead, so it loads the new code. (A
    forked service's command line is written over the supervisor's, longer one: NUL-padded.)"""
    engine = own_engine
    first = engine.service_pid("runtime")
    assert _cmdline(first).endswith(b"\0\0")  # forked
    spec = importlib.util.find_spec("dockyard.services.runtime.__main__")
    assert spec is not None and spec.origin is not None
    module = Path(spec.origin)
    stamp = module.stat()
    try:
        os.utime(module, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
        wait_replaced(engine, "runtime", kill_service(engine, "runtime"))
    finally:
        os.utime(module, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    second = engine.service_pid("runtime")
    assert not _cmdline(second).endswith(b"\0\0")  # exec'd: its argv exactly
    assert (
        f"started runtime (pid {second}, exec'd)"
        in (engine.root / "logs" / "supervisor.log").read_text()
    )
    assert engine.ok("run", "--rm", "busybox", "echo", "new") == "new\n"


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()
