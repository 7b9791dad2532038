"""The builder over the in-memory fakes of the engine's clients: no root, no services.

A RUN's task runs the rig's `script` (output and exit code); a COPY writes into plain
directories (`DirectoryMounter`); a layer is the fake snapshotter's made-up diff.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dockyard.services.engine.build.builder import Builder
from dockyard.services.engine.build.job import BuildOptions, Built, Event, Failed, RunOutput, Text
from dockyard.services.engine.build.mounting import DirectoryMounter
from dockyard.services.engine.clients.fakes import (
    FakeImages,
    FakeNetwork,
    FakeSnapshots,
    FakeTasks,
    Faults,
    fake_clients,
)
from dockyard.services.engine.clients.images import Descriptor, Image
from dockyard.services.engine.clients.tasks import NewTask

BASE_DIFF = "sha256:" + "b" * 64


@dataclass
class Outcome:
    events: list[Event]

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, Text))

    @property
    def output(self) -> bytes:
        return b"".join(e.data for e in self.events if isinstance(e, RunOutput))

    @property
    def built(self) -> Built | None:
        return next((e for e in self.events if isinstance(e, Built)), None)

    @property
    def failed(self) -> Failed | None:
        return next((e for e in self.events if isinstance(e, Failed)), None)

    def hits(self) -> list[bool]:
        """For each step after FROM: whether it came from the cache."""
        found: list[bool] = []
        for line in self.text.splitlines():
            if line.startswith("Step "):
                found.append(False)
            elif line == " ---> Using cache":
                found[-1] = True
        return found[1:]


@dataclass
class BuildRig:
    root: Path
    faults: Faults
    images: FakeImages
    snapshots: FakeSnapshots
    tasks: FakeTasks
    network: FakeNetwork
    builder: Builder
    mounter: DirectoryMounter
    ran: list[NewTask] = field(default_factory=list)
    exit_codes: dict[str, int] = field(default_factory=dict)  # command text -> exit code

    def script(self, task: NewTask) -> tuple[bytes, int]:
        self.ran.append(task)
        command = " ".join(task.spec["process"]["args"])
        code = next((c for text, c in self.exit_codes.items() if text in command), 0)
        return f"ran: {command}\n".encode(), code

    def commands(self) -> list[str]:
        return [t.spec["process"]["args"][-1] for t in self.ran]

    async def build(
        self, dockerfile: str, files: dict[str, str] | None = None, **options: object
    ) -> Outcome:
        events = [
            event
            async for event in self.builder.build(
                BuildOptions(**options),  # type: ignore[arg-type]
                _context(dockerfile, files or {}),
            )
        ]
        return Outcome(events)

    def leftovers(self) -> list[str]:
        jobs = self.root / "build" / "jobs"
        return [
            *(f"snapshot {k}" for k in self.snapshots.active),
            *(f"task {t}" for t in self.tasks.tasks),
            *(f"sandbox {s}" for s in self.network.sandboxes),
            *(f"files {p.name}" for p in (jobs.iterdir() if jobs.exists() else [])),
        ]


async def _context(dockerfile: str, files: dict[str, str]) -> AsyncIterator[bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, text in {"Dockerfile": dockerfile, **files}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(text.encode()), 0o644
            tar.addfile(info, io.BytesIO(text.encode()))
    data = buffer.getvalue()
    for start in range(0, len(data), 4096):
        yield data[start : start + 4096]


def add_base(images: FakeImages, name: str = "busybox", onbuild: list[str] | None = None) -> Image:
    """An image whose config and manifest are blobs, as a pulled one's are."""
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"], "OnBuild": onbuild},
        "rootfs": {"type": "layers", "diff_ids": [BASE_DIFF]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "base"}],
    }
    layer = images.put_blob(b"base layer")
    config_digest = images.put_blob(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "config": {"digest": config_digest, "size": 1},
        "layers": [{"mediaType": "application/x-test", "digest": layer, "size": 10}],
    }
    manifest_digest = images.put_blob(json.dumps(manifest).encode())
    image = Image(
        id=config_digest,
        diff_ids=[BASE_DIFF],
        chain_id=BASE_DIFF,
        manifest=Descriptor(
            "application/vnd.docker.distribution.manifest.v2+json", manifest_digest, 1
        ),
    )
    return images.add(image, name)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[BuildRig]:
    faults = Faults()
    clients = fake_clients(faults)
    assert isinstance(clients.images, FakeImages)
    assert isinstance(clients.snapshots, FakeSnapshots)
    assert isinstance(clients.tasks, FakeTasks)
    assert isinstance(clients.network, FakeNetwork)
    mounter = DirectoryMounter(tmp_path / "mounted")
    builder = Builder(clients, tmp_path, "dockyard-test", mounter)
    await builder.cleanup()
    rig = BuildRig(
        tmp_path,
        faults,
        clients.images,
        clients.snapshots,
        clients.tasks,
        clients.network,
        builder,
        mounter,
    )
    clients.tasks.script = rig.script
    add_base(clients.images)
    yield rig
    builder.close()
