"""What a registry or an image says, checked against the OCI image-spec (and Docker schema2)
shapes before anything is stored: manifests, indexes, image configs.

    parse_manifest(data, media_type) → Manifest | Index    (InvalidArgument when malformed)
    parse_config(data)               → the config document (InvalidArgument when malformed)
    repair_config(doc)               → (the document with bad fields dropped, what was dropped)

A wrong JSON type (`"Cmd": {"x": 1}`, `"Env": [1, null]`, `"User": 5`), a missing required
field, a malformed digest or a document over its size limit is refused with one line naming the
field. `null` for a field is taken as its absence, as Go's encoding/json (docker) takes it;
unknown fields are kept, as the spec asks. `repair_config` is for records stored before this
check existed: they are still listed, inspected and removed, with the bad fields dropped.
The field shapes themselves are in `shapes.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.services.images import shapes
from dockyard.services.images.shapes import Checker, Invalid

MAX_MANIFEST = 4 << 20  # containerd's and docker's limit on a manifest or index
MAX_CONFIG = 8 << 20
MAX_LAYERS = 125  # docker's layer-store depth limit ("max depth exceeded")

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFESTS = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEXES = (DOCKER_LIST, OCI_INDEX)
CONFIGS = (
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
)


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    urls: tuple[str, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Descriptor:
        """A descriptor from a checked document (see `shapes.DESCRIPTOR`)."""
        return cls(
            doc.get("mediaType") or "",
            doc["digest"],
            doc["size"],
            tuple(doc.get("urls") or ()),
            dict(doc.get("annotations") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.urls:
            doc["urls"] = list(self.urls)
        if self.annotations:
            doc["annotations"] = dict(self.annotations)
        return doc


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: list[Descriptor]


@dataclass(frozen=True)
class IndexEntry:
    descriptor: Descriptor
    platform: dict[str, Any]


@dataclass(frozen=True)
class Index:
    media_type: str
    manifests: list[IndexEntry]


def parse_manifest(data: bytes, media_type: str) -> Manifest | Index:
    """The manifest or index `data` is, checked; `media_type` is what the registry said."""
    if len(data) > MAX_MANIFEST:
        raise InvalidArgument(f"manifest too big: {len(data)} bytes (the limit is 4 MiB)")
    doc = _json(data, "manifest")
    declared = doc.get("mediaType")
    kind = media_type or (declared if isinstance(declared, str) else "")
    if kind in DOCKER_SCHEMA1 or doc.get("schemaVersion") == 1:
        raise InvalidArgument(
            "unsupported manifest format: Docker Image manifest v2, schema 1 "
            "(the image must be rebuilt and pushed again)"
        )
    if kind in INDEXES or (not kind and "manifests" in doc):
        return _index(doc, kind or OCI_INDEX)
    if kind and kind not in MANIFESTS:
        raise InvalidArgument(f"unsupported manifest media type {kind!r}")
    return _manifest(doc, kind or DOCKER_MANIFEST)


def parse_config(data: bytes) -> dict[str, Any]:
    """The image config `data` is, checked (InvalidArgument naming the first bad field)."""
    if len(data) > MAX_CONFIG:
        raise InvalidArgument(f"image config too big: {len(data)} bytes (the limit is 8 MiB)")
    doc = _json(data, "image config")
    return _check(shapes.CONFIG, doc, "invalid image config")


def repair_config(doc: Any) -> tuple[dict[str, Any], list[str]]:
    """`doc` with every field of the wrong shape dropped, and the problems found."""
    checker = Checker(strict=False)
    if not isinstance(doc, dict):
        return {}, ["the image config is not a JSON object"]
    repaired = checker.check(shapes.CONFIG, doc, "")
    return (repaired if isinstance(repaired, dict) else {}), checker.problems


def diff_ids(config: dict[str, Any]) -> list[str]:
    """The layer diff IDs a checked (or repaired) config lists, base first."""
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    return list(ids) if isinstance(ids, list) else []


def _manifest(doc: dict[str, Any], media_type: str) -> Manifest:
    checked = _check(shapes.MANIFEST, doc, "invalid manifest")
    config = Descriptor.from_json(checked["config"])
    if config.media_type and config.media_type not in CONFIGS:
        raise InvalidArgument(
            f"unsupported image config media type {config.media_type!r} (not a container image)"
        )
    layers = [Descriptor.from_json(d) for d in checked["layers"]]
    if len(layers) > MAX_LAYERS:
        raise InvalidArgument(f"max depth exceeded: the manifest lists {len(layers)} layers")
    for layer in layers:
        if layer.media_type and not shapes.is_layer_type(layer.media_type):
            raise InvalidArgument(f"unsupported layer media type {layer.media_type!r}")
    return Manifest(media_type, config, layers)


def _index(doc: dict[str, Any], media_type: str) -> Index:
    checked = _check(shapes.INDEX, doc, "invalid manifest index")
    entries = [
        IndexEntry(Descriptor.from_json(d), dict(d.get("platform") or {}))
        for d in checked["manifests"]
    ]
    return Index(media_type, entries)


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise InvalidArgument(f"invalid {what}: not valid JSON") from None
    if not isinstance(doc, dict):
        raise InvalidArgument(f"invalid {what}: not a JSON object")
    return doc


def _check(shape: shapes.Shape, doc: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        checked = Checker(strict=True).check(shape, doc, "")
    except Invalid as err:
        raise InvalidArgument(f"{what}: {err}") from None
    assert isinstance(checked, dict)
    return checked
