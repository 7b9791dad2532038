"""Image parents (a build step's image, docker's intermediate images): recorded and read
back, added to a database an older version made, and how listing treats them — hidden unless
all are asked for, never dangling while another image is built on them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from dockyard.services.images import listing
from dockyard.services.images.imagestore import ImageRecord, ImageStore
from dockyard.services.images.schema import DOCKER_MANIFEST, Descriptor

BASE, STEP, TOP, LOOSE = ("sha256:" + c * 64 for c in "abcd")
OLD_SCHEMA = """
CREATE TABLE images (
    id TEXT PRIMARY KEY, manifest TEXT NOT NULL, config TEXT NOT NULL, layers TEXT NOT NULL,
    size INTEGER NOT NULL, recorded TEXT NOT NULL
);
"""


def record(image_id: str, parent: str = "", created: str = "2026-01-01T00:00:00Z") -> ImageRecord:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    manifest = Descriptor(DOCKER_MANIFEST, "sha256:" + "f" * 64, 10)
    return ImageRecord(image_id, manifest, config, [], 0, parent=parent)


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    """busybox ← an untagged step ← the tagged build, and an untagged image on its own."""
    store = ImageStore(tmp_path / "metadata.db")
    store.put(record(BASE, created="2026-01-01T00:00:00Z"), "docker.io/library/busybox:latest")
    store.put(record(STEP, BASE, "2026-01-02T00:00:00Z"))
    store.put(record(TOP, STEP, "2026-01-03T00:00:00Z"), "docker.io/library/built:latest")
    store.put(record(LOOSE, BASE, "2026-01-04T00:00:00Z"))
    return store


def ids(store: ImageStore, filters: list[str], all: bool = False) -> list[str]:
    found = listing.matching(store.all(), filters, store.resolve, store.parents(), all)
    return [image.id for image in found]


def test_parents_are_recorded_and_children_found(store: ImageStore) -> None:
    assert store.get(TOP).parent == STEP and store.get(BASE).parent == ""
    assert sorted(store.children(BASE)) == [STEP, LOOSE]
    assert store.children(TOP) == [] and store.parents() == {BASE, STEP}


def test_an_untagged_parent_is_listed_with_all_only(store: ImageStore) -> None:
    assert ids(store, []) == [LOOSE, TOP, BASE]
    assert ids(store, [], all=True) == [LOOSE, TOP, STEP, BASE]


def test_dangling_means_untagged_with_nothing_built_on_it(store: ImageStore) -> None:
    for all in (False, True):
        assert ids(store, ["dangling=true"], all) == [LOOSE]
        assert ids(store, ["dangling=false"], all) == [TOP, BASE]


def test_a_database_without_parents_gets_the_column(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "metadata.db")
    db.executescript(OLD_SCHEMA)
    db.execute(
        "INSERT INTO images VALUES (?, ?, '{}', '[]', 0, datetime('now'))",
        (BASE, '{"mediaType": "x", "digest": "sha256:' + "f" * 64 + '", "size": 1}'),
    )
    db.commit()
    db.close()
    store = ImageStore(tmp_path / "metadata.db")
    assert store.get(BASE).parent == ""
    store.put(record(STEP, BASE))
    assert store.children(BASE) == [STEP]
