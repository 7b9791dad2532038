"""Managing images: history, listing (--digests, dangling), prune, and garbage collection at
start-up of what a killed pull or a removed container left behind."""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import Registry

pytestmark = pytest.mark.integration


def human(size: int) -> str:
    units, value, i = ["B", "kB", "MB", "GB"], float(size), 0
    while value >= 1000 and i < len(units) - 1:
        value, i = value / 1000, i + 1
    return f"{value:.3g}{units[i]}"


def content_size(tar: bytes) -> int:
    """A layer's size as docker counts it: its files' bytes (a symlink's: its target's
    length; a hardlink's: none, its file counted once), not the tar's."""
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        return sum(m.size if m.isreg() else len(m.linkname) if m.issym() else 0 for m in archive)


def columns(line: str) -> list[str]:
    return [c.strip() for c in line.split("  ") if c.strip()]


def test_history_shows_each_step_newest_first(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/test/layered"
    layered = images.layered_image()
    engine.ok("pull", ref)
    lines = engine.ok("history", ref).splitlines()
    assert columns(lines[0]) == ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
    assert len(lines) == 5 and lines[1].startswith(layered.id[7:19] + "  ")
    rows = engine.ok("history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", ref).splitlines()
    sizes = [human(content_size(layer.tar)) for layer in reversed(layered.layers)]
    assert rows == [
        f'{layered.id[7:19]}|/bin/sh -c #(nop)  CMD ["sh"]|0B',
        *(
            f"<missing>|/bin/sh -c #(nop) ADD layer{i} /|{size}"
            for i, size in zip((2, 1, 0), sizes, strict=True)
        ),
    ]
    assert engine.ok("history", "-q", ref).split() == [layered.id[7:19]] + ["<missing>"] * 3
    full = engine.ok("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}", ref)
    assert full.splitlines()[0] == f'{layered.id}|/bin/sh -c #(nop)  CMD ["sh"]'
    assert engine.ok("image", "history", "-q", ref) == engine.ok("history", "-q", ref)
    missing = engine.cli("history", "no-such-image")
    assert missing.returncode == 1 and "No such image: no-such-image" in missing.stderr
    engine.ok("rmi", ref)


@pytest.fixture
def own_engine() -> Iterator[Engine]:
    """An engine of its own: prune -a would take the session engine's images from others."""
    base = Path(tempfile.mkdtemp(prefix="dy-gc-"))
    engine = Engine.start(base, {"dns": ["127.0.0.1"]})
    try:
        yield engine
    finally:
        leaks = engine.shut_down()
        shutil.rmtree(base, ignore_errors=True)
        assert not leaks, f"the engine left behind: {leaks}"


def held(engine: Engine) -> tuple[set[str], set[str]]:
    blobs = {p.name for p in (engine.root / "images/blobs/sha256").iterdir()}
    layers = {p.name for p in engine.snapshot_dirs()}
    return blobs, layers


def test_dangling_images_are_listed_and_pruned(own_engine: Engine, tmp_path: Path) -> None:
    engine = own_engine
    first = images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["true"]})
    second = images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["true"]})
    used = images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["true"]})
    with Registry.start(tmp_path) as registry:
        ref = f"{registry.host}/gc/moving:v1"
        images.push(registry, "gc/moving", "v1", first)
        images.push(registry, "gc/used", "v1", used)
        empty = held(engine)
        engine.ok("pull", ref)
        images.push(registry, "gc/moving", "v1", second)
        engine.ok("pull", ref)  # the tag moves: the first image is dangling now
        engine.ok("pull", f"{registry.host}/gc/used:v1")
        engine.ok("create", "--name", "user", f"{registry.host}/gc/used:v1", "true")
        dangling = engine.ok("images", "-q", "--no-trunc", "--filter", "dangling=true").split()
        assert dangling == [first.id]
        listed = engine.ok("images", "--filter", "dangling=true").splitlines()[1]
        assert columns(listed)[:3] == ["<none>", "<none>", first.id[7:19]]
        digests = engine.ok("images", "--digests", f"{registry.host}/gc/moving")
        assert columns(digests.splitlines()[0])[:4] == ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID"]
        assert second.digest in digests
        out = engine.ok("image", "prune", "-f")
        assert out.startswith("Deleted Images:\n") and f"\ndeleted: {first.id}\n" in out
        assert f"untagged: {registry.host}/gc/moving@{first.digest}" in out  # its repo digest
        assert out.splitlines()[-1].startswith("Total reclaimed space: ")
        assert out.splitlines()[-1] != "Total reclaimed space: 0B"
        assert engine.ok("images", "-q", "--filter", "dangling=true") == ""
        assert images.sha256(first.layers[1].blob)[7:] not in held(engine)[0]
        assert engine.ok("image", "prune", "-f") == "Total reclaimed space: 0B\n"
        pruned = engine.ok("image", "prune", "-a", "-f")
        assert f"untagged: {ref}" in pruned and f"deleted: {second.id}" in pruned
        assert used.id not in pruned  # a container uses it
        assert engine.ok("images", "-q", "--no-trunc").split() == [used.id]
        engine.ok("rm", "user")
        engine.ok("image", "prune", "-a", "-f")
        assert held(engine) == empty


def test_start_up_collects_what_a_killed_pull_left(own_engine: Engine, tmp_path: Path) -> None:
    engine = own_engine
    orphan = images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["true"]})
    kept = images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["true"]})
    with Registry.start(tmp_path) as registry:
        images.push(registry, "gc/orphan", "v1", orphan)
        images.push(registry, "gc/kept", "v1", kept)
        engine.ok("pull", f"{registry.host}/gc/kept:v1")
        before = held(engine)
        engine.ok("pull", f"{registry.host}/gc/orphan:v1")
        db = sqlite3.connect(engine.root / "images/metadata.db")  # a pull killed before its
        with db:  # record: blobs and layers are there, the image is not
            db.execute("DELETE FROM names WHERE image_id = ?", (orphan.id,))
            db.execute("DELETE FROM digests WHERE image_id = ?", (orphan.id,))
            db.execute("DELETE FROM images WHERE id = ?", (orphan.id,))
        db.close()
        assert held(engine) != before
        old = engine.service_pid("images")
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and held(engine) != before:
            time.sleep(0.1)
        assert held(engine) == before
        ref = f"{registry.host}/gc/kept:v1"
        assert engine.ok("run", "--rm", ref, "echo", "ok") == "ok\n"
