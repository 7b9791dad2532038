"""Image records: names, repo digests, ID prefixes, deletion and layer sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.images.imagestore import ImageRecord, ImageStore
from dockyard.services.images.schema import DOCKER_MANIFEST, Descriptor

LAYER = Descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", "sha256:" + "3" * 64, 9)


def record(hex_id: str) -> ImageRecord:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "4" * 64]},
    }
    manifest = Descriptor(DOCKER_MANIFEST, "sha256:" + "5" * 64, 10)
    return ImageRecord("sha256:" + hex_id, manifest, config, [LAYER], 9)


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "metadata.db")


def test_a_name_resolves_to_its_image(store: ImageStore) -> None:
    store.put(record("a" * 64), "docker.io/library/busybox:latest")
    assert store.resolve("busybox").id == "sha256:" + "a" * 64
    assert store.resolve("docker.io/library/busybox:latest").id == "sha256:" + "a" * 64
    with pytest.raises(NotFound, match="No such image: busybox:1"):
        store.resolve("busybox:1")


def test_a_name_moves_to_the_image_tagged_last(store: ImageStore) -> None:
    store.put(record("a" * 64), "docker.io/library/app:latest")
    store.put(record("b" * 64), "docker.io/library/app:latest")
    assert store.image_of("docker.io/library/app:latest") == "sha256:" + "b" * 64
    assert {image.id for image in store.all()} == {"sha256:" + "a" * 64, "sha256:" + "b" * 64}


def test_ids_and_unique_prefixes(store: ImageStore) -> None:
    store.put(record("ab" + "1" * 62))
    store.put(record("ac" + "2" * 62))
    assert store.resolve("ab1").id == "sha256:ab" + "1" * 62
    assert store.resolve("sha256:ac2").id == "sha256:ac" + "2" * 62
    with pytest.raises(InvalidArgument, match="ambiguous"):
        store.resolve("sha256:a")
    with pytest.raises(NotFound):
        store.resolve("sha256:ff")


def test_a_repo_digest_resolves(store: ImageStore) -> None:
    digest = "sha256:" + "d" * 64
    store.put(record("a" * 64), "docker.io/library/x:1", ("docker.io/library/x", digest))
    assert store.resolve(f"x@{digest}").id == "sha256:" + "a" * 64


def test_untag_and_delete(store: ImageStore) -> None:
    store.put(record("a" * 64), "docker.io/library/one:latest")
    store.tag("docker.io/library/two:latest", "sha256:" + "a" * 64)
    store.untag("docker.io/library/one:latest")
    assert store.image_of("docker.io/library/one:latest") is None
    assert store.resolve("two").id == "sha256:" + "a" * 64
    store.delete("sha256:" + "a" * 64)
    assert store.all() == []
    assert store.image_of("docker.io/library/two:latest") is None
    with pytest.raises(NotFound):
        store.get("sha256:" + "a" * 64)


def test_layer_sizes(store: ImageStore) -> None:
    store.set_layer_size("sha256:chain", 123)
    assert store.layer_size("sha256:chain") == 123
    store.forget_layer("sha256:chain")
    assert store.layer_size("sha256:chain") == 0


def test_records_survive_a_reopen(tmp_path: Path) -> None:
    first = ImageStore(tmp_path / "metadata.db")
    first.put(record("a" * 64), "docker.io/library/kept:latest")
    first.close()
    again = ImageStore(tmp_path / "metadata.db")
    image = again.resolve("kept")
    assert image.layers == [LAYER] and image.size == 9
