"""Images built offline for the tests, and pushed to a test registry.

    busybox = busybox_image()                       # one gzip layer: the busybox rootfs
    layered = layered_image()                       # + a layer of files + a layer of whiteouts
    push(registry, "library/busybox", "latest", busybox)
    push_index(registry, "multi", "latest", {"amd64": busybox, "arm64": other})

Bytes are deterministic (fixed mtimes, gzip without a timestamp), so digests are stable.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from typing import Any

import zstandard

from tests.support.registry import Client, Registry
from tests.support.rootfs import add_dir, add_file, rootfs_tar

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=64)
def _gzip(tar: bytes) -> bytes:
    return gzip.compress(tar, compresslevel=6, mtime=0)


@dataclass(frozen=True)
class Layer:
    tar: bytes  # uncompressed
    compression: str = "gzip"  # or "zstd", or "" (the tar as it is)

    @property
    def blob(self) -> bytes:
        if self.compression == "zstd":
            return zstandard.ZstdCompressor(level=3).compress(self.tar)
        return _gzip(self.tar) if self.compression == "gzip" else self.tar

    def media_type(self, oci: bool) -> str:
        if oci:
            return OCI_LAYER.removesuffix("+gzip") + (
                f"+{self.compression}" if self.compression else ""
            )
        return DOCKER_LAYER if self.compression == "gzip" else DOCKER_LAYER.removesuffix(".gzip")

    @property
    def diff_id(self) -> str:
        return sha256(self.tar)


@dataclass
class Image:
    layers: list[Layer]
    config: dict[str, Any] = field(default_factory=dict)  # the runtime config (Env, Cmd, ...)
    architecture: str = "amd64"
    oci: bool = False

    def config_bytes(self) -> bytes:
        doc = {
            "architecture": self.architecture,
            "os": "linux",
            "created": "2026-01-01T00:00:00Z",
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in self.layers]},
            "history": self.history(),
        }
        if self.architecture == "arm64":
            doc["variant"] = "v8"
        return json.dumps(doc, sort_keys=True).encode()

    def history(self) -> list[dict[str, Any]]:
        """A step per layer, as docker writes them, and an empty-layer step for a CMD."""
        steps: list[dict[str, Any]] = [
            {"created": "2026-01-01T00:00:00Z", "created_by": f"/bin/sh -c #(nop) ADD layer{i} /"}
            for i, _ in enumerate(self.layers)
        ]
        if "Cmd" in self.config:
            cmd = json.dumps(self.config["Cmd"])
            steps.append(
                {
                    "created": "2026-01-02T00:00:00Z",
                    "created_by": f"/bin/sh -c #(nop)  CMD {cmd}",
                    "empty_layer": True,
                }
            )
        return steps

    def manifest_bytes(self) -> bytes:
        config = self.config_bytes()
        doc = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST if self.oci else DOCKER_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG if self.oci else DOCKER_CONFIG,
                "digest": sha256(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": layer.media_type(self.oci),
                    "digest": sha256(layer.blob),
                    "size": len(layer.blob),
                }
                for layer in self.layers
            ],
        }
        return json.dumps(doc, sort_keys=True).encode()

    @property
    def media_type(self) -> str:
        return OCI_MANIFEST if self.oci else DOCKER_MANIFEST

    @property
    def id(self) -> str:
        return sha256(self.config_bytes())

    @property
    def digest(self) -> str:
        return sha256(self.manifest_bytes())


def tar_of(build: Any) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()


def busybox_layer() -> Layer:
    return Layer(rootfs_tar())


def busybox_image(**config: Any) -> Image:
    return Image([busybox_layer()], config)


def files_layer() -> Layer:
    """Files the whiteout layer then deletes or hides."""

    def build(tar: tarfile.TarFile) -> None:
        add_dir(tar, "data")
        add_file(tar, "data/keep", b"kept\n")
        add_file(tar, "data/gone", b"to be deleted\n")
        add_dir(tar, "data/dir")
        add_file(tar, "data/dir/old", b"hidden by the opaque dir\n")
        add_file(tar, "etc/motd", b"layer two\n")

    return Layer(tar_of(build))


def whiteout_layer() -> Layer:
    """A whiteout (`data/.wh.gone`), an opaque dir (`data/dir/.wh..wh..opq` + a new file), and
    the removal of a file of the base layer (`bin/.wh.true`)."""

    def build(tar: tarfile.TarFile) -> None:
        add_dir(tar, "data")
        add_file(tar, "data/.wh.gone", b"")
        add_dir(tar, "data/dir")
        add_file(tar, "data/dir/.wh..wh..opq", b"")
        add_file(tar, "data/dir/new", b"only this\n")
        add_file(tar, "bin/.wh.true", b"")

    return Layer(tar_of(build))


def unique_layer() -> Layer:
    """A layer no other test has: a random file (so nothing of it is ever "Already exists")."""
    import secrets

    token = secrets.token_hex(8)
    return Layer(tar_of(lambda tar: add_file(tar, f"unique-{token}", token.encode())))


def layered_image() -> Image:
    return Image([busybox_layer(), files_layer(), whiteout_layer()], {"Cmd": ["sh"]})


def push(registry: Registry, repository: str, tag: str, image: Image) -> str:
    """Push `image`; return its manifest digest."""
    client = Client(registry)
    for layer in image.layers:
        client.push_blob(repository, layer.blob, sha256(layer.blob))
    config = image.config_bytes()
    client.push_blob(repository, config, sha256(config))
    client.push_manifest(repository, tag, image.manifest_bytes(), image.media_type)
    return image.digest


def push_index(
    registry: Registry, repository: str, tag: str, images: dict[str, Image], oci: bool = False
) -> str:
    """Push a multi-platform index of `images` (architecture → image); return its digest."""
    client = Client(registry)
    entries = []
    for arch, image in images.items():
        push(registry, repository, image.digest, image)
        platform = {
            "architecture": arch,
            "os": "linux",
            **({"variant": "v8"} if arch == "arm64" else {}),
        }
        entries.append(
            {
                "mediaType": image.media_type,
                "digest": image.digest,
                "size": len(image.manifest_bytes()),
                "platform": platform,
            }
        )
    media_type = OCI_INDEX if oci else DOCKER_LIST
    index = json.dumps(
        {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}, sort_keys=True
    ).encode()
    client.push_manifest(repository, tag, index, media_type)
    return sha256(index)
