"""Helpers for killing an engine's services at a chosen step and seeing them come back.

Only the processes of a test's own engine are killed, by the pids its supervisor publishes.
A step is found by its own marker — an entry appearing in or vanishing from a directory the
step writes, a request reaching the registry, a line of the operation's output — polled while
the operation runs, never guessed with a sleep.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tests.support.engine import CLI, Engine

BACK_SECONDS = 60.0
STEP_SECONDS = 60.0
OPERATION_SECONDS = 120.0

Marker = Callable[[], bool]


def own_bridge() -> dict[str, object]:
    """Config for an engine of a test's own: a default-bridge subnet out of the ten default
    pools, which the other engines on a busy machine (and their leftovers) may all hold."""
    return {"bip": f"10.{random.randrange(240, 250)}.{random.randrange(256)}.1/24"}


def kill_service(engine: Engine, service: str) -> int:
    """SIGKILL `service` of `engine`; returns the pid it had."""
    pid = engine.service_pid(service)
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_replaced(engine: Engine, service: str, old_pid: int) -> None:
    """Wait until the supervisor has a new `service` process answering on its socket (or, for
    the Docker API front, listens for its next client)."""
    deadline = time.monotonic() + BACK_SECONDS
    while time.monotonic() < deadline:
        status = engine.status().get("services", {}).get(service, {})  # type: ignore[attr-defined]
        if status and status["state"] == "listening":
            return
        if status and int(status["pid"]) not in (0, old_pid) and status["state"] == "running":
            return
        time.sleep(0.05)
    raise AssertionError(f"{service} did not come back:\n{engine.log_tail()}")


def wake_docker_api(engine: Engine) -> None:
    """Be the Docker API front's first client (the supervisor starts it then): GET /_ping
    on docker.sock, answered OK by the front."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(BACK_SECONDS)
        sock.connect(str(engine.state / "docker.sock"))
        sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n")[0], reply


def daemon(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    """`dockyard daemon ARGS` for `engine`'s root, state and config (as its admin would run it)."""
    env = {
        "DOCKYARD_ROOT": str(engine.root),
        "DOCKYARD_STATE": str(engine.state),
        "DOCKYARD_CONFIG": str(engine.config),
    }
    return engine.cli("daemon", *args, env=env)


# -- markers ---------------------------------------------------------------------------------


def appears(directory: Path) -> Marker:
    """True once `directory` has an entry it had not when the marker was made."""
    before = _entries(directory)
    return lambda: bool(_entries(directory) - before)


def vanishes(path: Path) -> Marker:
    """True once `path` (there when the marker was made) is gone."""
    assert path.exists(), f"{path} is not there to vanish"
    return lambda: not path.exists()


def _entries(directory: Path) -> set[str]:
    try:
        return set(os.listdir(directory))
    except FileNotFoundError:
        return set()


# -- an operation run by the CLI, watched -----------------------------------------------------


class Operation:
    """`dockyard ARGS` running in the background; its output is collected line by line."""

    def __init__(self, engine: Engine, *args: str) -> None:
        self.args = args
        self.lines: list[str] = []
        self._process = subprocess.Popen(
            [CLI, "-H", engine.host, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._errors: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self._process.stdout, self.lines)),
            threading.Thread(target=self._read, args=(self._process.stderr, self._errors)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str] | None, into: list[str]) -> None:
        assert stream is not None
        with stream:
            for line in stream:
                into.append(line.rstrip("\n"))

    def printed(self, text: str) -> Marker:
        return lambda: any(text in line for line in self.lines)

    def wait_for(self, marker: Marker, what: str) -> None:
        """Poll `marker` until it holds; fail if the operation ended first without it."""
        deadline = time.monotonic() + STEP_SECONDS
        while not marker():
            if self._process.poll() is not None and not marker():
                self.finish()
                raise AssertionError(
                    f"dockyard {' '.join(self.args)} ended ({self._process.returncode}) "
                    f"before {what}: {self.lines} {self._errors}"
                )
            assert time.monotonic() < deadline, f"never: {what}"
            time.sleep(0.001)

    def finish(self) -> subprocess.CompletedProcess[str]:
        """Wait for the end (bounded); the process's code, output and error output."""
        try:
            code = self._process.wait(timeout=OPERATION_SECONDS)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            for reader in self._readers:
                reader.join(timeout=10)
        out, err = "\n".join(self.lines), "\n".join(self._errors)
        return subprocess.CompletedProcess(self._process.args, code, out, err)


def assert_clean_end(result: subprocess.CompletedProcess[str]) -> None:
    """An operation hit by a fault completes, or fails with one clear line (no traceback),
    which run and create follow with docker's "See 'dockyard run --help'."."""
    if result.returncode == 0:
        return
    lines = result.stderr.strip().splitlines()
    if len(lines) == 2 and re.fullmatch(r"See 'dockyard \w+ --help'\.", lines[1]):
        lines.pop()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0], f"not one clear line: {result.stderr!r}"
