"""Faults during a pull (issue 10 items 5 and 6, issue 13 item 7): the images service killed at
a step (triggered by the step's own marker, never by a sleep), a full disk (the engine's root on
a small tmpfs). Each asserts a clear error or completion, that the next pull succeeds, and that
nothing is left behind: no partial, no trash directory, no half-made snapshot record.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import CLI, Engine
from tests.support.hostile import Served, layer, unique_image
from tests.support.registry import Answer, Front, Registry, trickle

pytestmark = pytest.mark.integration


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with Registry.start(tmp_path) as registry, Front.start(registry) as front:
        yield Served(registry, front)


def until(check: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def kill_service(engine: Engine, service: str) -> None:
    """SIGKILL `service`; return once the supervisor has a new one answering."""
    old = engine.service_pid(service)
    os.kill(old, signal.SIGKILL)

    def back() -> bool:
        status = engine.status().get("services", {}).get(service, {})  # type: ignore[attr-defined]
        return status.get("pid") not in (None, old) and status.get("state") == "running"

    assert until(back), engine.log_tail()
    assert until(lambda: engine.cli("images").returncode == 0), engine.log_tail()


def ingest_data(engine: Engine, digest: str) -> Path:
    return engine.root / "images/ingest" / f"layer-{digest}".replace(":", "-") / "data"


def snapshot_records(engine: Engine) -> list[tuple[str, str]]:
    db = sqlite3.connect(engine.root / "snapshots/metadata.db")
    try:
        return sorted(db.execute("SELECT key, kind FROM snapshots").fetchall())
    finally:
        db.close()


def test_a_complete_ingest_left_by_a_killed_service_is_committed(
    engine: Engine, served: Served
) -> None:
    """The images service dies after the last byte of a layer reached its ingest and before
    the commit. The next pull verifies and commits that ingest without asking the registry
    again (a range past the end would be answered 416, forever)."""
    image = unique_image()
    images.push(served.registry, "faults/complete", "latest", image)
    blob = image.layers[-1].blob
    path = f"/v2/faults/complete/blobs/{images.sha256(blob)}"
    hold = threading.Event()  # every byte sent, the connection held open: no end of body yet
    served.front.answer(path, Answer(trickle(blob, hold), length=False))
    ref = served.ref("faults/complete")
    cli = subprocess.Popen([CLI, "-H", engine.host, "pull", ref], stdout=subprocess.DEVNULL)
    try:
        data = ingest_data(engine, images.sha256(blob))
        assert until(lambda: data.exists() and data.stat().st_size == len(blob))
        kill_service(engine, "images")
        assert cli.wait(timeout=120) == 1
    finally:
        hold.set()
        cli.kill()
        cli.wait()
    served.front.answers.clear()
    asked = served.front.asked.count(path)
    engine.ok("pull", ref)
    assert served.front.asked.count(path) == asked  # committed from the ingest, not fetched
    assert not data.parent.exists()
    assert engine.ok("run", "--rm", ref, "echo", "ok") == "ok\n"
    engine.ok("rmi", ref)


# -- a full disk -----------------------------------------------------------------------------------

TMPFS_SIZE = "40m"


@pytest.fixture
def full_engine() -> Iterator[Engine]:
    """An engine of its own whose root is a small tmpfs: a pull can fill it."""
    base = Path(tempfile.mkdtemp(prefix="dy-full-"))  # short: shim sockets live under it
    (base / "root").mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(base / "root")],
        check=True,
    )
    try:
        engine = Engine.start(base, {"dns": ["127.0.0.1"]})
        try:
            yield engine
        finally:
            engine.remove_all_containers()
            engine.stop()
            leaks = [leak for leak in engine.leaks() if leak != f"mount {engine.root}"]
            engine.remove_cgroup_parent()
            engine.remove_network_leftovers()
            assert not leaks, f"the engine left behind: {leaks}"
    finally:
        subprocess.run(["umount", "-l", str(base / "root")], check=False)
        shutil.rmtree(base, ignore_errors=True)


def bomb() -> images.Image:
    """busybox and a layer of 64 MiB of zeros (a few hundred KiB of gzip): more than the disk."""

    def build(tar: object, outside: Path) -> None:
        import io
        import tarfile

        assert isinstance(tar, tarfile.TarFile)
        info = tarfile.TarInfo("zeros")
        info.size = 64 << 20
        tar.addfile(info, io.BytesIO(bytes(info.size)))

    return images.Image([images.busybox_layer(), layer(build, Path("/"))], {"Cmd": ["true"]})


def leftovers(engine: Engine) -> list[str]:
    """What a failed pull must not leave: partials, trash, half-made snapshot records."""
    root = engine.root
    found = [f"ingest {p.name}" for p in (root / "images/ingest").iterdir()]
    engine.snapshot_dirs()  # the trash goes after the reply: it must go (or this fails)
    found += [f"record {k} ({kind})" for k, kind in snapshot_records(engine) if kind != "committed"]
    return found


def test_a_full_disk_during_a_pull_leaks_nothing(full_engine: Engine, served: Served) -> None:
    engine = full_engine
    images.push(served.registry, "faults/busybox", "latest", images.busybox_image())
    images.push(served.registry, "faults/bomb", "latest", bomb())
    engine.ok("pull", served.ref("faults/busybox"))
    blobs = set((engine.root / "images/blobs/sha256").iterdir())
    records = snapshot_records(engine)
    for _ in range(3):
        result = engine.cli("pull", served.ref("faults/bomb"))
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "no space left on device" in lines[0], result.stderr
        assert leftovers(engine) == []
        assert set((engine.root / "images/blobs/sha256").iterdir()) == blobs
        assert snapshot_records(engine) == records
    assert engine.ok("run", "--rm", served.ref("faults/busybox"), "echo", "ok") == "ok\n"
    engine.stop()
    engine.restart()
    assert leftovers(engine) == [] and snapshot_records(engine) == records
    assert engine.ok("run", "--rm", served.ref("faults/busybox"), "echo", "ok") == "ok\n"


# -- an unreliable registry ----------------------------------------------------------------------


def test_5xx_answers_and_dropped_connections_are_retried(engine: Engine, served: Served) -> None:
    image = unique_image()
    images.push(served.registry, "faults/flaky", "latest", image)
    blob = image.layers[-1].blob
    blob_path = f"/v2/faults/flaky/blobs/{images.sha256(blob)}"
    manifest_path = served.manifest_path("faults/flaky")
    front = served.front
    front.answer(manifest_path, Answer(b"", status=503, times=2))
    cut = Answer(blob[: len(blob) // 2], headers={"Content-Length": str(len(blob))}, length=False)
    front.answer(blob_path, Answer(cut.body, 200, cut.headers, length=False, times=1))
    ref = served.ref("faults/flaky")
    engine.ok("pull", ref)
    assert front.asked.count(manifest_path) == 3  # 503, 503, then the manifest
    assert front.asked.count(blob_path) == 2  # cut half-way, then the rest (a range)
    assert engine.ok("run", "--rm", ref, "echo", "ok") == "ok\n"
    engine.ok("rmi", ref)


def test_a_registry_that_keeps_failing_is_one_clear_error(engine: Engine, served: Served) -> None:
    images.push(served.registry, "faults/down", "latest", images.busybox_image())
    served.front.answer(served.manifest_path("faults/down"), Answer(b"", status=500))
    result = engine.cli("pull", served.ref("faults/down"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error response from daemon: received unexpected HTTP status: 500 Internal Server Error"
    )
    assert served.front.asked.count(served.manifest_path("faults/down")) == 4


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (
            "registry.nonexistent.invalid/library/busybox",
            'Get "https://registry.nonexistent.invalid/v2/library/busybox/manifests/latest": '
            "dial tcp: lookup registry.nonexistent.invalid: no such host",
        ),
        ("{host}/no/such-repository", "no/such-repository:latest not found: manifest unknown"),
        ("{host}/faults/busybox:no-such-tag", "not found: manifest unknown"),
    ],
)
def test_names_that_lead_nowhere(engine: Engine, served: Served, ref: str, message: str) -> None:
    images.push(served.registry, "faults/busybox", "latest", images.busybox_image())
    result = engine.cli("pull", ref.format(host=served.front.host))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
