"""Resolving a reference at its registry: the platform's manifest and its image config, each
checked (`schema`) and verified against its digest before anything is stored.

    tag or digest → manifest or index (≤ 4 MiB) → the entry for the wanted platform →
    its manifest → the config blob (≤ 8 MiB, digest and size verified) → `Resolved`

A manifest fetched by digest must hash to it; an index entry's size must match what came.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from dockyard.api.errors import DigestMismatch, InvalidArgument, NotFound
from dockyard.services.images import reference, schema
from dockyard.services.images.registry import Registry
from dockyard.services.images.schema import Index, Manifest

ACCEPT = (schema.OCI_INDEX, schema.DOCKER_LIST, schema.OCI_MANIFEST, schema.DOCKER_MANIFEST)


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = ""
    variant: str = ""

    def matches(self, other: dict[str, Any]) -> bool:
        arch = normal_arch(other.get("architecture", ""))
        if other.get("os") != self.os or arch != self.architecture:
            return False
        want = self.variant or ("v8" if arch == "arm64" else "")
        have = other.get("variant") or ("v8" if arch == "arm64" else "")
        return not want or want == have

    def __str__(self) -> str:
        return f"{self.os}/{self.architecture}" + (f"/{self.variant}" if self.variant else "")


@dataclass(frozen=True)
class Resolved:
    manifest: Manifest
    manifest_bytes: bytes
    manifest_digest: str
    top: str  # the digest the reference resolved to: an index's or the manifest's own
    config: dict[str, Any]
    config_bytes: bytes

    @property
    def diff_ids(self) -> list[str]:
        return schema.diff_ids(self.config)


def normal_arch(arch: str) -> str:
    return {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}.get(arch, arch)


async def resolve(registry: Registry, ref: reference.Reference, wanted: Platform) -> Resolved:
    data, media_type = await _fetch(registry, ref, ref.digest or ref.tag)
    top = _digest(data)
    found = schema.parse_manifest(data, media_type)
    if isinstance(found, Index):
        entry = select(found, wanted, ref)
        data, media_type = await _fetch(registry, ref, entry.descriptor.digest)
        if len(data) != entry.descriptor.size:
            raise DigestMismatch(
                f"manifest {entry.descriptor.digest} is {len(data)} bytes, "
                f"the index says {entry.descriptor.size}"
            )
        found = schema.parse_manifest(data, media_type or entry.descriptor.media_type)
        if isinstance(found, Index):
            raise InvalidArgument(f"{_name(ref)}: an index entry for {wanted} is another index")
    config_bytes = await _config(registry, ref, found)
    config = schema.parse_config(config_bytes)
    if len(schema.diff_ids(config)) != len(found.layers):
        raise InvalidArgument(
            f"{_name(ref)}: the image config lists {len(schema.diff_ids(config))} layers, "
            f"the manifest {len(found.layers)}"
        )
    return Resolved(found, data, _digest(data), top, config, config_bytes)


def select(index: Index, wanted: Platform, ref: reference.Reference) -> schema.IndexEntry:
    for entry in index.manifests:
        if wanted.matches(entry.platform):
            return entry
    raise NotFound(
        f"no matching manifest for {wanted} in the manifest list entries of {_name(ref)}"
    )


async def _fetch(
    registry: Registry, ref: reference.Reference, tag_or_digest: str
) -> tuple[bytes, str]:
    try:
        data, media_type = await registry.manifest(ref.path, tag_or_digest, ACCEPT)
    except NotFound as err:
        raise NotFound(f"manifest for {_name(ref)} not found: {err}") from None
    if tag_or_digest.startswith("sha256:") and _digest(data) != tag_or_digest:
        raise DigestMismatch(
            f"manifest verification failed for digest {tag_or_digest}: got {_digest(data)}"
        )
    return data, media_type


async def _config(registry: Registry, ref: reference.Reference, manifest: Manifest) -> bytes:
    desc = manifest.config
    if desc.size > schema.MAX_CONFIG:
        raise InvalidArgument(f"image config too big: {desc.size} bytes (the limit is 8 MiB)")
    return await registry.blob_bytes(ref.path, desc.digest, desc.size)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _name(ref: reference.Reference) -> str:
    return reference.familiar(str(ref))
