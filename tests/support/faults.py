"""Helpers for killing an engine's services at a chosen moment and seeing them come back.

Only the processes of a test's own engine are killed, by the pids its supervisor publishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.support.engine import Engine

BACK_SECONDS = 60.0


def kill_service(engine: Engine, service: str) -> int:
    """SIGKILL `service` of `engine`; returns the pid it had."""
    pid = engine.service_pid(service)
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_replaced(engine: Engine, service: str, old_pid: int) -> None:
    """Wait until the supervisor has a new `service` process answering on its socket."""
    deadline = time.monotonic() + BACK_SECONDS
    while time.monotonic() < deadline:
        status = engine.status().get("services", {}).get(service, {})  # type: ignore[attr-defined]
        if status and int(status["pid"]) not in (0, old_pid) and status["state"] == "running":
            return
        time.sleep(0.05)
    raise AssertionError(f"{service} did not come back:\n{engine.log_tail()}")


def daemon(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    """`dockyard daemon ARGS` for `engine`'s root, state and config (as its admin would run it)."""
    env = {
        "DOCKYARD_ROOT": str(engine.root),
        "DOCKYARD_STATE": str(engine.state),
        "DOCKYARD_CONFIG": str(engine.config),
    }
    return engine.cli("daemon", *args, env=env)
