"""Live restore: any service killed with SIGKILL comes back, and containers never notice.

These tests kill the session engine's own services (the supervisor restarts them), stop and
start the whole daemon, and kill shims; each leaves the engine running for the next test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration

TICKER = "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.02; done"
SERVICES = ("engine", "runtime", "images", "snapshots", "network")


def wait_restarted(engine: Engine, service: str, old_pid: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status = engine.status()["services"][service]  # type: ignore[index]
            back = int(status["pid"]) != old_pid and status["state"] == "running"
            if back and engine.cli("ps").returncode == 0:
                return
        except (KeyError, TypeError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{service} did not come back:\n{engine.log_tail()}")


def ticks(engine: Engine, name: str) -> list[int]:
    return [int(line.split("-")[1]) for line in engine.ok("logs", name).split()]


def resolved(engine: Engine, container: str, name: str) -> list[str]:
    """The addresses the embedded DNS gives `container` for `name` (asked from inside it)."""
    out = engine.cli("exec", container, "nslookup", name, "127.0.0.11").stdout
    answer = out.split("127.0.0.11:53", 1)[-1]
    return [line.split()[-1] for line in answer.splitlines() if line.startswith("Address")]


@pytest.fixture
def user_network(engine: Engine) -> Iterator[str]:
    """A user network (names answered by the embedded DNS), removed after the test."""
    name = f"restore{os.getpid()}"
    engine.ok("network", "create", name)
    yield name
    engine.remove_all_containers()
    engine.cli("network", "rm", name)


def address(engine: Engine, container: str, network: str) -> str:
    networks = json.loads(engine.ok("inspect", container))[0]["NetworkSettings"]["Networks"]
    return str(networks[network]["IPAddress"])


def assert_no_gap(numbers: list[int]) -> None:
    assert numbers == list(range(1, len(numbers) + 1)), "a log line was lost"


@pytest.mark.parametrize("service", SERVICES)
def test_a_killed_service_comes_back_and_containers_never_notice(
    engine: Engine, busybox: str, service: str, user_network: str
) -> None:
    engine.ok(
        "run", "-d", "--name", "ticker", "--network", user_network, busybox, "sh", "-c", TICKER
    )
    time.sleep(0.3)
    # mid-operation: runs in flight while the service dies (they may fail; nothing may leak)
    runs = [
        subprocess.Popen(
            [CLI, "-H", engine.host, "run", "--rm", busybox, "sh", "-c", "echo in-flight"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    old = engine.service_pid(service)
    os.kill(old, signal.SIGKILL)
    wait_restarted(engine, service, old)
    for run in runs:
        run.wait(timeout=120)
    before = ticks(engine, "ticker")
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "ticker") == "true\n"
    assert "ticker" in engine.ok("ps", "--format", "{{.Names}}")
    assert engine.ok("exec", "ticker", "echo", "exec-ok") == "exec-ok\n"
    assert resolved(engine, "ticker", "ticker") == [address(engine, "ticker", user_network)]
    follow = subprocess.Popen(
        [CLI, "-H", engine.host, "logs", "-f", "--tail", "0", "ticker"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline().startswith("tick-")
    finally:
        follow.terminate()
        follow.communicate()
    after = ticks(engine, "ticker")
    assert len(after) > len(before)
    assert_no_gap(after)
    assert engine.ok("run", "--rm", busybox, "echo", "still-works") == "still-works\n"
    engine.ok("stop", "-t", "1", "ticker")
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "ticker") == "false\n"


def test_a_killed_shim_leaves_the_container_exited_not_hung(engine: Engine, busybox: str) -> None:
    cid = engine.ok("run", "-d", "--name", "orphan", busybox, "sleep", "600").strip()
    shim = int((engine.state / "runtime" / "tasks" / cid / "shim.pid").read_text())
    os.kill(shim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while engine.ok("inspect", "-f", "{{.State.Running}}", "orphan") != "false\n":
        assert time.monotonic() < deadline, "the container still looks running"
        time.sleep(0.1)
    assert engine.ok("inspect", "-f", "{{.State.ExitCode}}", "orphan") == "255\n"
    assert engine.ok("wait", "orphan") == "255\n"
    engine.ok("start", "orphan")  # and it can run again
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "orphan") == "true\n"


def test_daemon_stop_leaves_containers_running_and_policies_hold_across_restart(
    engine: Engine, busybox: str, user_network: str
) -> None:
    engine.ok(
        "run", "-d", "--name", "lasting", "--network", user_network, busybox, "sh", "-c", TICKER
    )
    engine.ok("run", "-d", "--name", "always", "--restart", "always", busybox, "sleep", "600")
    engine.ok(
        "run", "-d", "--name", "unless", "--restart", "unless-stopped", busybox, "sleep", "600"
    )
    engine.ok("run", "-d", "--name", "once", busybox, "sleep", "600")
    engine.ok("stop", "-t", "0", "unless")  # stopped by hand: stays stopped
    pid = int(engine.ok("inspect", "-f", "{{.State.Pid}}", "lasting"))
    engine.stop()
    assert os.path.exists(f"/proc/{pid}")  # the container outlives its engine
    time.sleep(0.3)
    engine.restart()
    running = set(engine.ok("ps", "--format", "{{.Names}}").split())
    assert {"lasting", "always", "once"} <= running and "unless" not in running
    assert resolved(engine, "lasting", "lasting") == [address(engine, "lasting", user_network)]
    assert_no_gap(ticks(engine, "lasting"))
    # with --stop-containers every container stops; policies bring back `always` at start
    result = engine.cli("daemon", "stop", "--stop-containers", env=_daemon_env(engine))
    assert result.returncode == 0, result.stderr
    engine.process.wait(timeout=60)
    assert not os.path.exists(f"/proc/{pid}")
    engine.restart()
    deadline = time.monotonic() + 30
    while "always" not in engine.ok("ps", "--format", "{{.Names}}").split():
        assert time.monotonic() < deadline, "the always container did not come back"
        time.sleep(0.1)
    assert set(engine.ok("ps", "--format", "{{.Names}}").split()) == {"always"}


def _daemon_env(engine: Engine) -> dict[str, str]:
    return {
        "DOCKYARD_ROOT": str(engine.root),
        "DOCKYARD_STATE": str(engine.state),
        "DOCKYARD_CONFIG": str(engine.config),
    }


def test_a_killed_shim_zygote_falls_back_to_exec_and_comes_back(
    engine: Engine, busybox: str
) -> None:
    def zygotes() -> list[int]:
        runtime = engine.service_pid("runtime")
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        cmdline = f.read()
                    with open(f"/proc/{entry}/stat") as f:
                        parent = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError):
                    continue
                if b"dockyard.shim.zygote" in cmdline and parent == runtime:
                    found.append(int(entry))
        return found

    (old,) = zygotes()
    os.kill(old, signal.SIGKILL)
    assert engine.ok("run", "--rm", busybox, "echo", "exec'd") == "exec'd\n"  # the fallback
    deadline = time.monotonic() + 30
    while not zygotes() or zygotes() == [old]:
        assert time.monotonic() < deadline, "no new zygote"
        time.sleep(0.1)
    assert engine.ok("run", "--rm", busybox, "echo", "forked") == "forked\n"
