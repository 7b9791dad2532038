"""Start-up repair of the network service after a crash in the middle of its work.

The network service is frozen (SIGSTOP) at the moment a sandbox's veth appears (its
namespace is mounted by then), which is the step's own marker, together with the engine (so that the engine's own undo cannot
clean up first), and killed there (SIGKILL): the next network service must undo what was
half made before it answers, and the container must start afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.network.conftest import http_get, web
from tests.support.engine import CLI, Engine
from tests.support.registry import free_port

pytestmark = pytest.mark.integration

ATTEMPTS = 10


def wait_for_a_veth(engine: Engine, before: set[str], run: subprocess.Popen[str]) -> str:
    """The container whose sandbox got the first new veth (its namespace is mounted by then);
    "" if `run` ended first."""
    prefix = f"v{engine.network_tag}"
    while run.poll() is None:
        if any(n.startswith(prefix) for n in os.listdir("/sys/class/net")):
            new = set(os.listdir(engine.state / "network" / "netns")) - before
            return new.pop() if new else ""
    return ""


def wait_serving(engine: Engine, old: int) -> None:
    """Until a network service other than `old` accepts calls (it binds after its repair)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if engine.service_pid("network") != old:
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.connect(str(engine.state / "network.sock"))
                    return
        except (KeyError, ValueError, OSError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"the network service did not come back:\n{engine.log_tail()}")


@contextmanager
def crashed_half_way(engine: Engine, args: list[str]) -> Iterator[tuple[str, Path]]:
    """Run `dockyard ARGS`; kill the network service half way through making its sandbox.

    Yields, while the engine is still frozen and the next network service serves, the
    container's ID and its sandbox's files; tried again (the container removed) when the
    freeze came after the sandbox was whole. The engine resumes and the run ends on exit."""
    for _ in range(ATTEMPTS):
        before = set(os.listdir(engine.state / "network" / "netns"))
        service, dockyardd = engine.service_pid("network"), engine.service_pid("engine")
        run = subprocess.Popen(
            [CLI, "-H", engine.host, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        container_id = wait_for_a_veth(engine, before, run)
        os.kill(service, signal.SIGSTOP)
        os.kill(dockyardd, signal.SIGSTOP)
        try:
            files = engine.root / "network" / "sandboxes" / container_id
            half_made = bool(container_id) and not (files / "resolv.conf").exists()
            os.kill(service, signal.SIGKILL)
            wait_serving(engine, service)
            if half_made:
                yield container_id, files
        finally:
            os.kill(dockyardd, signal.SIGCONT)
            _, stderr = run.communicate(timeout=120)
        assert "Traceback" not in stderr
        if half_made:
            return
        engine.remove_all_containers()
    raise AssertionError(f"no freeze in the middle of a sandbox in {ATTEMPTS} tries")


def test_a_sandbox_half_made_by_a_killed_service_is_undone_and_start_works(
    engine: Engine, busybox: str
) -> None:
    port = free_port()
    args = ["run", "-d", "--name", "half", "-p", f"{port}:80", busybox, *web("whole")]
    with crashed_half_way(engine, args) as (_, files):
        # the new service undid it by itself, before answering anyone
        assert engine.leaked_netns() == [] and engine.leaked_links() == []
        assert engine.leaked_rules() == [] and not files.exists()
    assert engine.ok("inspect", "-f", "{{.State.Status}}", "half") == "created\n"
    engine.ok("start", "half")
    assert http_get(f"http://127.0.0.1:{port}/") == "whole\n"
    engine.ok("rm", "-f", "half")
    assert engine.leaks() == []
