"""`logs -f` loses no line: a container printing 200,000 numbered lines as fast as it can,
followed from while it prints, with and without rotation, and with the runtime killed while
the stream runs. Each count is compared with plain `logs`, which reads the files at rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable

import pytest

from tests.support.engine import CLI, Engine
from tests.support.faults import wait_replaced

pytestmark = pytest.mark.integration

COUNT = 200_000
HALF = COUNT // 2
FOLLOW_SECONDS = 300.0


def follow(engine: Engine, name: str, at: dict[int, Callable[[], None]] | None = None) -> list[int]:
    """The numbers `logs -f NAME` prints until it ends; `at[n]()` runs once line n is seen."""
    at = at or {}
    numbers = []
    with subprocess.Popen(
        [CLI, "-H", engine.host, "logs", "-f", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        watchdog = threading.Timer(FOLLOW_SECONDS, process.kill)  # a lost marker would hang it
        watchdog.start()
        try:
            for line in process.stdout:
                numbers.append(int(line))
                if numbers[-1] in at:
                    at.pop(numbers[-1])()
        finally:
            watchdog.cancel()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0, f"{len(numbers)} lines, then: {stderr}"
    return numbers


def plain(engine: Engine, name: str) -> list[int]:
    return [int(n) for n in engine.ok("logs", name, timeout=300).split()]


def assert_all(numbers: list[int]) -> None:
    missing = COUNT - len(numbers)
    assert numbers == list(range(1, COUNT + 1)), f"{missing} lines lost or out of order"


@pytest.mark.parametrize("log_opts", [[], ["--log-opt", "max-size=1m", "--log-opt", "max-file=40"]])
def test_follow_reads_every_line_written_while_it_follows(
    engine: Engine, busybox: str, log_opts: list[str]
) -> None:
    engine.ok("run", "-d", "--name", "printer", *log_opts, busybox, "seq", "1", str(COUNT))
    assert_all(follow(engine, "printer"))
    assert_all(plain(engine, "printer"))
    if log_opts:
        rotated = list((engine.root / "engine" / "containers").rglob("*-json.log.*"))
        assert len(rotated) > 5, "the log never rotated"


def test_follow_reads_every_line_across_a_runtime_kill(engine: Engine, busybox: str) -> None:
    """The container prints half, waits at a gate; the runtime is killed once the follower has
    seen the half (the step's own marker), and the gate opens once the runtime is back."""
    script = f"seq 1 {HALF}; while [ ! -e /tmp/go ]; do sleep 0.01; done; seq {HALF + 1} {COUNT}"
    engine.ok(
        "run", "-d", "--name", "gated", "--log-opt", "max-size=1m", "--log-opt", "max-file=40",
        busybox, "sh", "-c", script,
    )  # fmt: skip

    def kill_runtime_then_open_the_gate() -> None:
        old = engine.service_pid("runtime")
        os.kill(old, signal.SIGKILL)
        wait_replaced(engine, "runtime", old)
        engine.ok("exec", "gated", "touch", "/tmp/go")

    assert_all(follow(engine, "gated", {HALF: kill_runtime_then_open_the_gate}))
    assert_all(plain(engine, "gated"))
