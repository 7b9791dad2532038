"""Hostile images and registries (issue 8): each case is served by a real registry (through a
`Front` where the registry itself would refuse to hold it), and each asserts the same things —
a clear one-line error, docker's exit code (1 for pull, 125 for run), nothing stored, nothing
written outside the engine's root, and the engine still runs `run IMAGE echo ok` afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import CLI, Engine
from tests.support.registry import Answer, Body, Client, Front, Registry, endless, trickle

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Served:
    registry: Registry
    front: Front

    def ref(self, repository: str) -> str:
        return f"{self.front.host}/{repository}:latest"

    def manifest_path(self, repository: str) -> str:
        return f"/v2/{repository}/manifests/latest"


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
        "snapshots": {p.name for p in (root / "snapshots/snapshots").iterdir()},
    }


def assert_refused(
    engine: Engine, served: Served, ref: str, message: str, outside: Path, verb: str = "pull"
) -> None:
    before = state(engine)
    args = ("pull", ref) if verb == "pull" else ("run", "--rm", ref, "echo", "ok")
    result = engine.cli(*args)
    assert result.returncode == (1 if verb == "pull" else 125), result
    lines = result.stderr.strip().splitlines()
    if verb == "run":  # after "Unable to find image ... locally" and the pull's progress
        lines = [line for line in lines if line.startswith("dockyard: ")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    assert engine.cli("image", "inspect", ref).returncode == 1
    assert state(engine) == before
    assert list(outside.iterdir()) == []
    good = served.ref("good/busybox")
    assert engine.ok("run", "--rm", good, "echo", "ok") == "ok\n"


# -- configs and manifests ---------------------------------------------------------------------


def push_config(runtime: dict[str, object]) -> Callable[[Served, str], None]:
    def serve(served: Served, repository: str) -> None:
        images.push(served.registry, repository, "latest", images.busybox_image(**runtime))

    return serve


def answer_manifest(change: Callable[[dict[str, object]], object]) -> Callable[[Served, str], None]:
    """The busybox image pushed, its manifest served changed by `change` (through the front)."""

    def serve(served: Served, repository: str) -> None:
        image = images.busybox_image()
        images.push(served.registry, repository, "latest", image)
        doc = json.loads(image.manifest_bytes())
        replaced = change(doc)
        body = replaced if isinstance(replaced, bytes) else json.dumps(doc).encode()
        headers = {"Content-Type": images.DOCKER_MANIFEST}
        served.front.answer(served.manifest_path(repository), Answer(body, headers=headers))

    return serve


def unique_image() -> images.Image:
    """busybox and a layer no other case has (so it is always fetched, never found)."""
    return images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["sh"]})


def answer_blob(body: Callable[[bytes], Body]) -> Callable[[Served, str], None]:
    """An image pushed; its own layer served as `body(the real blob)` through the front."""

    def serve(served: Served, repository: str) -> None:
        image = unique_image()
        images.push(served.registry, repository, "latest", image)
        blob = image.layers[-1].blob
        path = f"/v2/{repository}/blobs/{images.sha256(blob)}"
        served.front.answer(path, Answer(body(blob)))

    return serve


def push_sized(change: Callable[[int], int]) -> Callable[[Served, str], None]:
    """An image whose manifest gives its own layer the size `change(real size)`: the registry
    itself takes such a manifest, and serves the real blob."""

    def serve(served: Served, repository: str) -> None:
        image = unique_image()
        images.push(served.registry, repository, "latest", image)
        doc = json.loads(image.manifest_bytes())
        doc["layers"][-1]["size"] = change(doc["layers"][-1]["size"])
        Client(served.registry).push_manifest(
            repository, "latest", json.dumps(doc).encode(), images.DOCKER_MANIFEST
        )

    return serve


CASES = {
    "cmd-object": (push_config({"Cmd": {"x": 1}}), "config.Cmd: expected an array of strings"),
    "env-numbers": (push_config({"Env": [1, None]}), "config.Env[0]: expected a string"),
    "user-number": (push_config({"User": 5}), "config.User: expected a string, got a number"),
    "missing-config": (answer_manifest(lambda d: d.pop("config")), "config: required, missing"),
    "size-string": (
        answer_manifest(lambda d: d["layers"][0].update(size="12")),  # type: ignore[index]
        "layers[0].size: expected an integer",
    ),
    "manifest-10mb": (
        answer_manifest(lambda d: b"{" + b" " * (10 << 20) + b"}"),
        "manifest too big",
    ),
    "html-layer": (
        answer_manifest(lambda d: d["layers"][0].update(mediaType="text/html")),  # type: ignore[index]
        "unsupported layer media type 'text/html'",
    ),
    "endless-layer": (
        answer_blob(lambda blob: endless()),
        "its descriptor says",
    ),
    "oversized-layer": (
        push_sized(lambda size: 112),
        "longer than the 112 bytes its descriptor says",
    ),
    "short-layer": (push_sized(lambda size: size + 100), "failed to verify blob"),
    "digest-mismatch": (
        answer_blob(lambda blob: bytes(len(blob))),
        "failed to verify blob",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("verb", ["pull", "run"])
def test_hostile_configs_and_manifests(
    engine: Engine, served: Served, outside: Path, case: str, verb: str
) -> None:
    serve, message = CASES[case]
    repository = f"hostile/{case}-{verb}"
    serve(served, repository)
    assert_refused(engine, served, served.ref(repository), message, outside, verb)


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


@pytest.mark.parametrize("flow", ["trickle", "flood"])
def test_a_pull_stops_when_its_client_is_killed(engine: Engine, served: Served, flow: str) -> None:
    """trickle: the registry sends 1000 bytes and stalls; flood: it sends zeros as fast as it
    can for a layer that claims 1 GiB. Either way, once the CLI is killed, the engine and the
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
        served.front.answer(path, Answer(endless(), length=False))
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
    assert served.front.sent[path] < GIB
    ingest = engine.root / "images/ingest" / f"layer-{images.sha256(blob)}".replace(":", "-")
    assert (ingest / "data").stat().st_size < GIB  # kept to resume from (it was not refused)
    served.front.answers.clear()
    engine.ok("pull", served.ref(repository))  # the next pull completes it
    assert engine.ok("run", "--rm", served.ref(repository), "echo", "ok") == "ok\n"
