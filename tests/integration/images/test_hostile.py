"""Hostile images and registries (issue 8), from the corpus in tests/support/hostile.py: each
is served by a real registry, and each asserts the same things — a clear one-line error and
docker's exit code (1 for pull, 125 for run) or, for what docker accepts, an image that runs
and shows what it should; nothing written outside the engine's root; nothing half-stored; and
the engine still runs `run IMAGE echo ok` afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import CLI, Engine
from tests.support.hostile import CORPUS, Row, Served, unique_image
from tests.support.registry import Answer, Front, Registry, endless, trickle

pytestmark = pytest.mark.integration
RUN_TOO = ("config-user-number", "manifest-without-config", "blob-endless", "layer-wh-dot")


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with (
        Registry.start(tmp_path_factory.mktemp("hostile")) as registry,
        Front.start(registry) as front,
    ):
        images.push(registry, "good/busybox", "latest", images.busybox_image())
        served = Served(registry, front)
        engine.ok("pull", served.ref("good/busybox"))  # its layer "Already exists" in every case
        yield served
        names = engine.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
        mine = [name for name in names if name.startswith(front.host)]
        if mine:
            engine.ok("rmi", *mine)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the engine's root that hostile images aim at."""
    target = tmp_path / "outside"
    target.mkdir()
    return target


def state(engine: Engine) -> dict[str, set[str]]:
    """What the images and snapshots services hold on disk."""
    root = engine.root
    return {
        "blobs": {p.name for p in (root / "images/blobs/sha256").iterdir()},
        "ingests": {p.name for p in (root / "images/ingest").iterdir()},
        "snapshots": {p.name for p in engine.snapshot_dirs()},
    }


def untouched(outside: Path) -> None:
    assert list(outside.iterdir()) == [] and os.listxattr(outside) == []


def error_line(result: subprocess.CompletedProcess[str], verb: str) -> str:
    lines = result.stderr.strip().splitlines()
    if verb == "run":  # after "Unable to find image ... locally" and the pull's progress
        lines = [line for line in lines if line.startswith("dockyard: ")]
    assert len(lines) == 1, result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


def refused(engine: Engine, row: Row, ref: str, verb: str) -> None:
    args = ("pull", ref) if verb == "pull" else ("run", "--rm", ref, "echo", "ok")
    result = engine.cli(*args)
    assert result.returncode == (1 if verb == "pull" else 125), result
    assert row.refused in error_line(result, verb)
    assert engine.cli("image", "inspect", ref).returncode == 1


def accepted(engine: Engine, row: Row, ref: str) -> None:
    script, output = row.check
    assert engine.ok("run", "--rm", ref, "sh", "-c", script) == output
    engine.ok("rmi", ref)


@pytest.mark.parametrize(
    ("case", "verb"),
    [(case, "pull") for case in sorted(CORPUS)] + [(case, "run") for case in RUN_TOO],
)
def test_hostile_image(engine: Engine, served: Served, outside: Path, case: str, verb: str) -> None:
    row = CORPUS[case]
    repository = f"hostile/{case}-{verb}"
    row.serve(served, repository, outside)
    before = state(engine)
    if row.refused:
        refused(engine, row, served.ref(repository), verb)
    else:
        accepted(engine, row, served.ref(repository))
    assert state(engine) == before  # nothing half-stored; an accepted image fully collected
    untouched(outside)
    assert engine.ok("run", "--rm", served.ref("good/busybox"), "echo", "ok") == "ok\n"


# -- records stored before configs were checked -------------------------------------------------


def kill_images_service(engine: Engine) -> None:
    old = engine.service_pid("images")
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        service = engine.status().get("services", {}).get("images", {})  # type: ignore[attr-defined]
        back = service.get("pid") not in (None, old) and service.get("state") == "running"
        if back and engine.cli("images").returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"the images service did not come back:\n{engine.log_tail()}")


def test_a_stored_hostile_config_stops_nothing(engine: Engine, served: Served) -> None:
    good, bad = served.ref("good/busybox"), served.ref("stored/hostile")
    images.push(served.registry, "stored/hostile", "latest", images.busybox_image(Cmd=["true"]))
    engine.ok("pull", good)
    engine.ok("pull", bad)
    good_id, bad_id = (
        engine.ok("image", "inspect", "-f", "{{.Id}}", ref).strip() for ref in (good, bad)
    )
    hostile = json.loads(images.busybox_image().config_bytes())
    hostile["config"] = {"Cmd": {"x": 1}, "Env": [1, None], "User": 5, "WorkingDir": "/w"}
    db = sqlite3.connect(engine.root / "images/metadata.db")  # as an older version stored it
    with db:
        db.execute("UPDATE images SET config = ? WHERE id = ?", (json.dumps(hostile), bad_id))
    db.close()
    for restart in (False, True):
        if restart:
            kill_images_service(engine)
        listed = engine.ok("images", "-q", "--no-trunc").split()
        assert good_id in listed and bad_id in listed
        assert engine.ok("image", "inspect", "-f", "{{.Config.WorkingDir}}", bad) == "/w\n"
        assert engine.ok("image", "inspect", "-f", "{{.Id}}", good).strip() == good_id
        assert "Images:" in engine.ok("info")
    assert f"Deleted: {bad_id}" in engine.ok("rmi", "-f", bad_id)
    assert engine.ok("images", "-q", "--no-trunc").split().count(good_id) == 1
    assert engine.ok("run", "--rm", good, "echo", "ok") == "ok\n"


# -- a pull whose client goes away ----------------------------------------------------------------

GIB = 1 << 30
FLOOD_RATE = 32 << 20  # a GiB in 32 s


@pytest.mark.parametrize("flow", ["trickle", "flood"])
def test_a_pull_stops_when_its_client_is_killed(engine: Engine, served: Served, flow: str) -> None:
    """trickle: the registry sends 1000 bytes and stalls; flood: it sends zeros at 32 MiB/s
    for a layer that claims 1 GiB. Either way, once the CLI is killed, the engine and the
    images service drop the download (the registry sees the hang-up), well before 1 GiB."""
    repository = f"hostile/abandoned-{flow}"
    image = unique_image()
    images.push(served.registry, repository, "latest", image)
    blob = image.layers[-1].blob
    path = f"/v2/{repository}/blobs/{images.sha256(blob)}"
    stall = threading.Event()
    if flow == "trickle":
        served.front.answer(path, Answer(trickle(blob[:1000], stall), length=False))
    else:
        doc = json.loads(image.manifest_bytes())
        doc["layers"][-1]["size"] = GIB
        headers = {"Content-Type": images.DOCKER_MANIFEST}
        manifest = Answer(json.dumps(doc).encode(), headers=headers)
        served.front.answer(served.manifest_path(repository), manifest)
        # paced: at loopback speed, a busy host's kill reached the images service only after
        # the whole GiB was in (what is asked is that the pull stops, not how fast)
        served.front.answer(path, Answer(endless(per_second=FLOOD_RATE), length=False))
    cli = subprocess.Popen(
        [CLI, "-H", engine.host, "pull", served.ref(repository)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert served.front.wait_for(served.front.asked, path)
        cli.kill()
        cli.wait()
        assert served.front.wait_for(served.front.hung_up, path, timeout=60), engine.log_tail()
    finally:
        stall.set()
        cli.kill()
        cli.wait()
    assert served.front.sent.get(path, 0) < GIB  # nothing sent when the hang-up came first
    ingest = engine.root / "images/ingest" / f"layer-{images.sha256(blob)}".replace(":", "-")
    assert (ingest / "data").stat().st_size < GIB  # kept to resume from (it was not refused)
    served.front.answers.clear()
    engine.ok("pull", served.ref(repository))  # the next pull completes it
    assert engine.ok("run", "--rm", served.ref(repository), "echo", "ok") == "ok\n"
