"""A stored image record that cannot be read (a config stored before configs were checked,
a damaged row) never stops the listing, inspection or removal of the others, nor itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from dockyard.api.errors import NotFound
from dockyard.services.images.imagestore import ImageRecord, ImageStore
from dockyard.services.images.schema import DOCKER_MANIFEST, Descriptor

GOOD_ID = "sha256:" + "1" * 64
BAD_ID = "sha256:" + "2" * 64
LAYER = Descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", "sha256:" + "3" * 64, 9)
DIFF_ID = "sha256:" + "4" * 64


def record(image_id: str, runtime: dict[str, Any]) -> ImageRecord:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": [DIFF_ID]},
    }
    manifest = Descriptor(DOCKER_MANIFEST, "sha256:" + image_id[-1] * 63 + "f", 10)
    return ImageRecord(image_id, manifest, config, [LAYER], 9)


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    store = ImageStore(tmp_path / "metadata.db")
    store.put(record(GOOD_ID, {"Cmd": ["sh"]}), "docker.io/library/good:latest")
    hostile = {"Cmd": {"x": 1}, "Env": [1, None], "User": 5, "WorkingDir": "/w"}
    store.put(record(BAD_ID, hostile), "docker.io/library/bad:latest")
    return store


def test_a_hostile_stored_config_is_listed_repaired(store: ImageStore) -> None:
    by_id = {image.id: image for image in store.all()}
    assert set(by_id) == {GOOD_ID, BAD_ID}
    bad = by_id[BAD_ID]
    assert bad.config["config"] == {"WorkingDir": "/w"}
    assert bad.diff_ids == [DIFF_ID] and bad.layers == [LAYER]
    assert len(bad.problems) == 3
    assert store.resolve("bad").id == BAD_ID
    assert not store.resolve("good").problems


def test_a_row_of_garbage_is_listed_and_removable(store: ImageStore, tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "metadata.db")
    with db:
        db.execute(
            "UPDATE images SET config = '{not json', manifest = '[1]', layers = '{}', size = 'x' "
            "WHERE id = ?",
            (BAD_ID,),
        )
    db.close()
    store.close()
    reopened = ImageStore(tmp_path / "metadata.db")  # as after a restart
    bad = reopened.resolve(BAD_ID[7:19])
    assert bad.names == ["docker.io/library/bad:latest"]
    assert bad.diff_ids == [] and bad.layers == [] and bad.size == 0 and bad.problems
    assert {i.id for i in reopened.all()} == {GOOD_ID, BAD_ID}
    reopened.delete(BAD_ID)
    assert [i.id for i in reopened.all()] == [GOOD_ID]
    with pytest.raises(NotFound):
        reopened.resolve("bad")
