"""`docker save`: images as one tar, the OCI image layout with docker's manifest.json beside it
(as docker 25 writes it), so `docker load` of any version, `dockyard load` and OCI tools read it.

    oci-layout                  {"imageLayoutVersion": "1.0.0"}
    index.json                  an OCI index: each image's manifest, once per name it is saved
                                under (annotated "io.containerd.image.name" and
                                "org.opencontainers.image.ref.name"), once unnamed when none
    manifest.json               docker's: [{"Config", "RepoTags", "Layers"}] pointing into blobs/
    blobs/sha256/<hex>          every manifest, config and layer, byte for byte as stored

The tar is written by hand (header, content, padding to 512 bytes, two zero blocks at the
end), so a blob streams from its file in 1 MiB pieces and is never held whole in memory.
"""

from __future__ import annotations

import asyncio
import json
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from dockyard.services.images import reference, schema
from dockyard.services.images.imagestore import ImageRecord

CHUNK = 1 << 20
BLOCK = 512
MTIME = 0


@dataclass(frozen=True)
class Saved:
    image: ImageRecord
    names: list[str]  # full names it is saved under ("docker.io/library/busybox:latest")


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes | None = None  # small documents
    path: Path | None = None  # blobs, streamed from the content store
    size: int = 0


def members(saved: list[Saved], blob: dict[str, Path]) -> list[Member]:
    """What the archive holds; `blob` maps each digest the images need to its file."""
    out = [
        Member(f"blobs/sha256/{digest[7:]}", path=path, size=path.stat().st_size)
        for digest, path in sorted(blob.items())
    ]
    documents = {
        "oci-layout": {"imageLayoutVersion": "1.0.0"},
        "index.json": _index(saved),
        "manifest.json": [_docker_entry(s) for s in saved],
    }
    for name, doc in documents.items():
        data = json.dumps(doc, separators=(",", ":")).encode()
        out.append(Member(name, data=data, size=len(data)))
    return out


async def stream(entries: list[Member]) -> AsyncIterator[bytes]:
    """The tar of `entries`, in pieces of at most 1 MiB."""
    for member in entries:
        yield _header(member.name, member.size)
        if member.data is not None:
            yield member.data
        elif member.path is not None:
            async for piece in _read(member.path, member.size):
                yield piece
        if member.size % BLOCK:
            yield b"\0" * (BLOCK - member.size % BLOCK)
    yield b"\0" * (2 * BLOCK)


def _index(saved: list[Saved]) -> dict[str, object]:
    entries = []
    for item in saved:
        manifest = item.image.manifest.to_json()
        for name in item.names or [""]:
            entry = dict(manifest)
            if name:
                entry["annotations"] = {
                    "io.containerd.image.name": name,
                    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
                }
            entries.append(entry)
    return {"schemaVersion": 2, "mediaType": schema.OCI_INDEX, "manifests": entries}


def _docker_entry(item: Saved) -> dict[str, object]:
    return {
        "Config": f"blobs/sha256/{item.image.id[7:]}",
        "RepoTags": [reference.familiar(n) for n in item.names] or None,
        "Layers": [f"blobs/sha256/{layer.digest[7:]}" for layer in item.image.layers],
    }


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, MTIME
    return info.tobuf(format=tarfile.PAX_FORMAT)


async def _read(path: Path, size: int) -> AsyncIterator[bytes]:
    f = await asyncio.to_thread(open, path, "rb")
    try:
        left = size
        while left > 0:
            piece = await asyncio.to_thread(f.read, min(CHUNK, left))
            if not piece:
                raise OSError(f"{path.name} became shorter while it was saved")
            left -= len(piece)
            yield piece
    finally:
        f.close()
