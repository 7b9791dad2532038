"""A build killed with the engine leaves nothing: the engine's next start takes back what it
made (the RUN's container and shim, its sandbox, its snapshot, its files) before it builds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable

import pytest

from tests.integration.build.conftest import Context, build_snapshots
from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


def test_an_engine_killed_mid_build_cleans_up_at_its_next_start(
    context: Context, engine: Engine, busybox: str
) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN echo started; sleep 600\n")
    _build_until_started(context, engine, _kill_engine(engine))
    jobs = engine.root / "engine" / "build" / "jobs"
    assert not (jobs.exists() and any(jobs.iterdir()))
    context.dockerfile(f"FROM {busybox}\nRUN echo builds again\n")
    assert "builds again" in context.ok()


def test_an_engine_killed_mid_build_keeps_the_finished_steps_images(
    context: Context, engine: Engine, busybox: str
) -> None:
    """As docker's classic builder: the steps done have their images, whole and runnable; the
    step killed left none (its container, snapshot and files are taken back)."""
    context.dockerfile(
        f"FROM {busybox}\nENV KILLED=later\nRUN echo done > /done\nRUN echo started; sleep 600\n"
    )
    steps = _build_until_started(context, engine, _kill_engine(engine))
    assert len(steps) == 3, steps  # FROM's, ENV's, the first RUN's
    try:
        dangling = engine.ok("images", "-q", "-f", "dangling=true").split()
        assert steps[2] in dangling and steps[1] not in dangling
        assert engine.ok("run", "--rm", steps[2], "sh", "-c", "cat /done; echo $KILLED") == (
            "done\nlater\n"
        )
    finally:
        engine.cli("rmi", steps[2])


def test_a_build_whose_client_went_keeps_the_finished_steps_images(
    context: Context, engine: Engine, busybox: str
) -> None:
    """A client gone mid-RUN (Ctrl-C) cancels the build: the RUN's container goes, the steps
    done keep their images, as docker's classic builder leaves them."""
    context.dockerfile(
        f"FROM {busybox}\nENV GONE=yes\nRUN echo kept > /kept\nRUN echo started; sleep 600\n"
    )
    steps = _build_until_started(context, engine, lambda build: build.kill(), in_process=True)
    assert len(steps) == 3, steps  # FROM's, ENV's, the first RUN's
    try:
        assert steps[2] in engine.ok("images", "-q", "-f", "dangling=true").split()
        assert engine.ok("run", "--rm", steps[2], "sh", "-c", "cat /kept; echo $GONE") == (
            "kept\nyes\n"
        )
    finally:
        engine.cli("rmi", steps[2])


def _build_until_started(
    context: Context,
    engine: Engine,
    interrupt: Callable[[subprocess.Popen[str]], None],
    in_process: bool = False,
) -> list[str]:
    """Build until the RUN prints "started", `interrupt` the build there, wait until the
    engine has taken back what the build left; the short IDs of the steps done."""
    env = {**os.environ, "DOCKYARD_NO_SERVER": "1"} if in_process else None
    build = subprocess.Popen(
        [CLI, "-H", engine.host, "build", str(context.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    printed = []
    try:
        assert build.stdout is not None
        for line in build.stdout:
            printed.append(line)
            if line == "started\n":
                break
        interrupt(build)
    finally:
        if build.poll() is None:
            build.kill()
        build.communicate()
    _wait(lambda: engine.cli("ps").returncode == 0)
    _wait(lambda: not build_snapshots(engine) and not engine.leaks())
    found = [re.fullmatch(r" ---> ([0-9a-f]{12})\n", line) for line in printed]
    return [step.group(1) for step in found if step]


def _kill_engine(engine: Engine) -> Callable[[subprocess.Popen[str]], None]:
    """An interrupt that kills the engine (SIGKILL) and waits for the supervisor's next one."""

    def interrupt(build: subprocess.Popen[str]) -> None:
        old = engine.service_pid("engine")
        os.kill(old, signal.SIGKILL)
        assert build.wait(timeout=60) != 0
        _wait(lambda: engine.status()["services"]["engine"]["pid"] != old)  # type: ignore[index]

    return interrupt


def _wait(check: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
