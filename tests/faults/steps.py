"""The operations the fault suite breaks, step by step, and each step's own marker.

An `Operation` makes what it works on (`prepare` → a `Subject`: the CLI arguments, and the
paths its steps will mark), lists its `Step`s in the order they happen, and says what must
hold once the fault is over (`settle`: a retry succeeds, the end state is the promised one).
A step names the service that performs it and `arms` a marker before the operation starts
(a directory's entries are noted then), which `Operation.wait_for` polls while it runs.

Adding an operation is one more `Operation` in `OPERATIONS`.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import images
from tests.support.engine import Engine
from tests.support.faults import Operation as Running
from tests.support.faults import appears, vanishes
from tests.support.registry import Front, Registry
from tests.support.rootfs import add_file

SETTLE_SECONDS = 60.0


@dataclass
class Subject:
    """What one operation works on, made before it runs."""

    args: list[str]
    name: str
    marks: dict[str, Path] = field(default_factory=dict)  # paths its steps will change
    pid: int = 0  # a container's, where it has one
    front: Front | None = None  # the registry as the engine sees it, for pulls
    scratch: Path | None = None  # a directory of the test's (a build context)

    def close(self) -> None:
        if self.front is not None:
            self.front.stop()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


Armed = Callable[[Running], bool]


@dataclass(frozen=True)
class Step:
    name: str
    service: str  # the service that performs the step
    arm: Callable[[Engine, Subject], Armed]


@dataclass(frozen=True)
class Fixtures:
    busybox: str
    registry: Registry


@dataclass(frozen=True)
class Operation:
    name: str
    prepare: Callable[[Engine, Fixtures], Subject]
    steps: tuple[Step, ...]
    settle: Callable[[Engine, Subject], None]


def _dir_appears(where: Callable[[Engine], Path]) -> Callable[[Engine, Subject], Armed]:
    def arm(engine: Engine, subject: Subject) -> Armed:
        marker = appears(where(engine))
        return lambda _: marker()

    return arm


def _mark_vanishes(key: str) -> Callable[[Engine, Subject], Armed]:
    def arm(engine: Engine, subject: Subject) -> Armed:
        marker = vanishes(subject.marks[key])
        return lambda _: marker()

    return arm


def _printed(text: str) -> Callable[[Engine, Subject], Armed]:
    return lambda engine, subject: lambda running: running.printed(text)()


def _asked(path: Callable[[Subject], str]) -> Callable[[Engine, Subject], Armed]:
    def arm(engine: Engine, subject: Subject) -> Armed:
        front = subject.front
        assert front is not None
        return lambda _: path(subject) in front.asked

    return arm


def _eventually(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


def _gone(engine: Engine, name: str) -> Callable[[], bool]:
    return lambda: name not in engine.ok("ps", "-a", "--format", "{{.Names}}").split()


# -- run --rm -----------------------------------------------------------------------------------


def _prepare_run(engine: Engine, fixtures: Fixtures) -> Subject:
    name = f"fault-run-{secrets.token_hex(3)}"
    script = "echo started; sleep 1; echo finished"
    args = ["run", "--rm", "--name", name, fixtures.busybox, "sh", "-c", script]
    return Subject(args, name)


def _settle_run(engine: Engine, subject: Subject) -> None:
    _eventually(f"{subject.name} removed (run --rm)", _gone(engine, subject.name))
    assert engine.ok("run", "--rm", subject.args[4], "echo", "again") == "again\n"


RUN = Operation(
    "run",
    _prepare_run,
    (
        Step("record", "engine", _dir_appears(lambda e: e.root / "engine" / "containers")),
        Step("layer", "snapshots", _dir_appears(lambda e: e.root / "snapshots" / "snapshots")),
        Step("sandbox", "network", _dir_appears(lambda e: e.state / "network" / "netns")),
        Step("bundle", "runtime", _dir_appears(lambda e: e.state / "runtime" / "tasks")),
        Step("started", "runtime", _printed("started")),
        Step("exited", "engine", _printed("finished")),
    ),
    _settle_run,
)


# -- rm -f --------------------------------------------------------------------------------------


def _prepare_rm(engine: Engine, fixtures: Fixtures) -> Subject:
    name = f"fault-rm-{secrets.token_hex(3)}"
    cid = engine.ok("run", "-d", "--name", name, fixtures.busybox, "sleep", "600").strip()
    state = json.loads(engine.ok("inspect", "-f", "{{json .}}", cid))
    upper = Path(state["GraphDriver"]["Data"]["UpperDir"]).parent
    marks = {
        "bundle": engine.state / "runtime" / "tasks" / cid,
        "layer": upper,
        "netns": engine.state / "network" / "netns" / cid,
        "files": engine.root / "engine" / "containers" / cid,
    }
    return Subject(["rm", "-f", name], name, marks, pid=state["State"]["Pid"])


def _killed(engine: Engine, subject: Subject) -> Armed:
    return lambda _: not Path(f"/proc/{subject.pid}").exists()


def _settle_rm(engine: Engine, subject: Subject) -> None:
    again = engine.cli("rm", "-f", subject.name)
    assert again.returncode == 0 or "No such container" in again.stderr, again.stderr
    assert _gone(engine, subject.name)()


RM = Operation(
    "rm",
    _prepare_rm,
    (
        Step("killed", "runtime", _killed),
        Step("task deleted", "runtime", _mark_vanishes("bundle")),
        Step("layer removed", "snapshots", _mark_vanishes("layer")),
        Step("sandbox removed", "network", _mark_vanishes("netns")),
        Step("files removed", "engine", _mark_vanishes("files")),
    ),
    _settle_rm,
)


# -- pull ---------------------------------------------------------------------------------------

BIG = 4 * 1024 * 1024  # a layer that takes a moment to download and to unpack


def _prepare_pull(engine: Engine, fixtures: Fixtures) -> Subject:
    token = secrets.token_hex(4)
    layer = images.Layer(
        images.tar_of(lambda tar: add_file(tar, f"big-{token}", secrets.token_bytes(BIG)))
    )
    image = images.Image([images.busybox_layer(), layer, images.unique_layer()], {"Cmd": ["sh"]})
    repository = f"faults/pull-{token}"
    images.push(fixtures.registry, repository, "latest", image)
    front = Front.start(fixtures.registry)
    name = f"{front.host}/{repository}"
    blob = f"/v2/{repository}/blobs/{images.sha256(layer.blob)}"
    subject = Subject(["pull", name], name, front=front)
    subject.marks["manifest"] = Path(f"/v2/{repository}/manifests/latest")
    subject.marks["blob"] = Path(blob)
    return subject


def _settle_pull(engine: Engine, subject: Subject) -> None:
    again = engine.cli("pull", subject.name)
    assert again.returncode == 0, again.stderr
    assert engine.ok("run", "--rm", subject.name, "sh", "-c", "ls / | grep -c '^big-'") == "1\n"
    engine.ok("rmi", subject.name)


PULL = Operation(
    "pull",
    _prepare_pull,
    (
        Step("manifest asked", "images", _asked(lambda s: str(s.marks["manifest"]))),
        Step("layer asked", "images", _asked(lambda s: str(s.marks["blob"]))),
        Step(
            "blob stored", "images", _dir_appears(lambda e: e.root / "images" / "blobs" / "sha256")
        ),
        Step("unpacking", "snapshots", _dir_appears(lambda e: e.root / "snapshots" / "snapshots")),
    ),
    _settle_pull,
)


# -- build --------------------------------------------------------------------------------------

DOCKERFILE = """FROM {base}
RUN echo one-{token} > /one && echo ran-one && sleep 1
RUN echo two-{token} > /two
"""


def _prepare_build(engine: Engine, fixtures: Fixtures) -> Subject:
    token = secrets.token_hex(4)  # new content: no step is in the cache
    context = Path(tempfile.mkdtemp(prefix="fault-build-"))
    (context / "Dockerfile").write_text(DOCKERFILE.format(base=fixtures.busybox, token=token))
    name = f"fault-build-{token}"
    subject = Subject(["build", "-t", name, str(context)], name, scratch=context)
    subject.marks["token"] = Path(token)
    return subject


def _settle_build(engine: Engine, subject: Subject) -> None:
    again = engine.cli("build", "-t", subject.name, *subject.args[3:])
    assert again.returncode == 0, again.stderr
    token = subject.marks["token"].name
    made = engine.ok("run", "--rm", subject.name, "cat", "/one", "/two")
    assert made == f"one-{token}\ntwo-{token}\n"
    engine.ok("rmi", subject.name)


BUILD = Operation(
    "build",
    _prepare_build,
    (
        Step("step started", "engine", _printed("Step 2/3")),
        Step("step runs", "runtime", _printed("ran-one")),
        Step("step committed", "snapshots", _printed("Step 3/3")),
        Step("built", "images", _printed("Successfully built")),
    ),
    _settle_build,
)


# -- volume create, volume rm ------------------------------------------------------------------


def _volumes(engine: Engine) -> Path:
    return engine.root / "snapshots" / "volumes"


def _prepare_volume_create(engine: Engine, fixtures: Fixtures) -> Subject:
    name = f"fault-vol-{secrets.token_hex(3)}"
    return Subject(["volume", "create", name], name)


def _volume_made(engine: Engine, subject: Subject) -> Armed:
    return lambda _: (_volumes(engine) / subject.name).exists()


def _settle_volume_create(engine: Engine, subject: Subject) -> None:
    assert engine.ok("volume", "create", subject.name) == f"{subject.name}\n"
    used = engine.ok("run", "--rm", "-v", f"{subject.name}:/data", _BUSYBOX, "touch", "/data/f")
    assert used == ""
    engine.ok("volume", "rm", subject.name)


def _prepare_volume_rm(engine: Engine, fixtures: Fixtures) -> Subject:
    name = f"fault-vol-{secrets.token_hex(3)}"
    engine.ok("volume", "create", name)
    return Subject(["volume", "rm", name], name, {"volume": _volumes(engine) / name})


def _settle_volume_rm(engine: Engine, subject: Subject) -> None:
    again = engine.cli("volume", "rm", subject.name)
    assert again.returncode == 0 or "no such volume" in again.stderr, again.stderr
    assert subject.name not in engine.ok("volume", "ls", "-q").split()
    assert not any(p.name.startswith(".") for p in _volumes(engine).iterdir())  # no half-done


_BUSYBOX = "busybox:latest"  # the session's image (the `busybox` fixture's name)

VOLUME_CREATE = Operation(
    "volume-create",
    _prepare_volume_create,
    (
        Step("staged", "snapshots", _dir_appears(_volumes)),
        Step("made", "snapshots", _volume_made),
    ),
    _settle_volume_create,
)

VOLUME_RM = Operation(
    "volume-rm",
    _prepare_volume_rm,
    (Step("moved away", "snapshots", _mark_vanishes("volume")),),
    _settle_volume_rm,
)

OPERATIONS = (RUN, RM, PULL, BUILD, VOLUME_CREATE, VOLUME_RM)
