"""A build killed with the engine leaves nothing: the engine's next start takes back what it
made (the RUN's container and shim, its sandbox, its snapshot, its files) before it builds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from tests.integration.build.conftest import Context, build_snapshots
from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


def test_an_engine_killed_mid_build_cleans_up_at_its_next_start(
    context: Context, engine: Engine, busybox: str
) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN echo started; sleep 600\n")
    build = subprocess.Popen(
        [CLI, "-H", engine.host, "build", str(context.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert build.stdout is not None
        for line in build.stdout:
            if line == "started\n":
                break
        old = engine.service_pid("engine")
        os.kill(old, signal.SIGKILL)
        assert build.wait(timeout=60) != 0
    finally:
        if build.poll() is None:
            build.kill()
        build.communicate()
    _wait(lambda: engine.status()["services"]["engine"]["pid"] != old)  # type: ignore[index]
    _wait(lambda: engine.cli("ps").returncode == 0)
    _wait(lambda: not build_snapshots(engine) and not engine.leaks())
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
    build = subprocess.Popen(
        [CLI, "-H", engine.host, "build", str(context.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed = []
    try:
        assert build.stdout is not None
        for line in build.stdout:
            printed.append(line)
            if line == "started\n":
                break
        old = engine.service_pid("engine")
        os.kill(old, signal.SIGKILL)
        assert build.wait(timeout=60) != 0
    finally:
        if build.poll() is None:
            build.kill()
        build.communicate()
    ids = [re.fullmatch(r" ---> ([0-9a-f]{12})\n", line) for line in printed]
    steps = [found.group(1) for found in ids if found]
    assert len(steps) == 3, printed  # FROM's, ENV's, the first RUN's
    _wait(lambda: engine.status()["services"]["engine"]["pid"] != old)  # type: ignore[index]
    _wait(lambda: engine.cli("ps").returncode == 0)
    _wait(lambda: not build_snapshots(engine) and not engine.leaks())
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
    build = subprocess.Popen(
        [CLI, "-H", engine.host, "build", str(context.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "DOCKYARD_NO_SERVER": "1"},
    )
    printed = []
    try:
        assert build.stdout is not None
        for line in build.stdout:
            printed.append(line)
            if line == "started\n":
                break
        build.kill()
    finally:
        if build.poll() is None:
            build.kill()
        build.communicate()
    ids = [re.fullmatch(r" ---> ([0-9a-f]{12})\n", line) for line in printed]
    steps = [found.group(1) for found in ids if found]
    assert len(steps) == 3, printed  # FROM's, ENV's, the first RUN's
    _wait(lambda: not build_snapshots(engine) and not engine.leaks())
    try:
        assert steps[2] in engine.ok("images", "-q", "-f", "dangling=true").split()
        assert engine.ok("run", "--rm", steps[2], "sh", "-c", "cat /kept; echo $GONE") == (
            "kept\nyes\n"
        )
    finally:
        engine.cli("rmi", steps[2])


def _wait(check: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_client_killed_while_its_context_unpacks_leaves_no_files(
    context: Context, engine: Engine, busybox: str
) -> None:
    """The context is unpacked by a thread, which the RPC's cancel does not stop: the build's
    clean-up waits for it, so no file lands in a scratch dir already removed."""
    context.dockerfile(f"FROM {busybox}\nCOPY . /ctx\n")
    for number in range(6000):
        context.write(f"d{number % 60}/f{number}", "x" * 64)
    build = subprocess.Popen(
        [CLI, "-H", engine.host, "build", str(context.path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DOCKYARD_NO_SERVER": "1"},
    )
    jobs = engine.root / "engine" / "build" / "jobs"
    try:
        _wait(lambda: any(jobs.glob("*/context/d*/f*")), 60.0)  # unpacking
        build.kill()
    finally:
        if build.poll() is None:
            build.kill()
        build.wait()
    _wait(lambda: not (jobs.exists() and any(jobs.iterdir())), 30.0)
    time.sleep(1.0)  # an unpack still running would add files now
    assert not (jobs.exists() and any(jobs.iterdir()))
