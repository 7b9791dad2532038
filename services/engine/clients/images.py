"""`ImageClient`: what the engine asks of the images service, in domain types.

The types mirror `dockyard.images.v1` field for field (a test holds them to it), so an image
passes through the engine's API unchanged. Errors are `dockyard.api.errors` classes: NotFound
for an unknown reference, FailedPrecondition/AlreadyExists as the service raises them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dockyard.services.engine.model import HealthConfig


@dataclass
class Descriptor:
    media_type: str = ""
    digest: str = ""
    size: int = 0
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class Platform:
    os: str = ""
    architecture: str = ""
    variant: str = ""


@dataclass
class ImageConfig:
    """The runtime part of an OCI image config."""

    user: str = ""
    env: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    working_dir: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    exposed_ports: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    stop_signal: str = ""
    shell: list[str] = field(default_factory=list)
    args_escaped: bool = False
    healthcheck: HealthConfig | None = None  # HEALTHCHECK


@dataclass
class Image:
    id: str  # config digest: the image ID
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    created: datetime | None = None
    size: int = 0
    os: str = ""
    architecture: str = ""
    variant: str = ""
    config: ImageConfig = field(default_factory=ImageConfig)
    diff_ids: list[str] = field(default_factory=list)
    chain_id: str = ""  # the committed snapshot a container's layer is prepared over
    manifest: Descriptor | None = None
    author: str = ""
    comment: str = ""
    docker_version: str = ""
    layer_sizes: list[int] = field(default_factory=list)  # uncompressed, per diff ID; 0 = unknown
    parent: str = ""  # the image it was built on (a build step's); "" = none


@dataclass
class RegistryAuth:
    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""


@dataclass
class PullProgress:
    """One line of progress; the last one of a pull carries the image."""

    id: str = ""
    status: str = ""
    current: int = 0
    total: int = 0
    image: Image | None = None


@dataclass
class ImportHeader:
    ref: str = ""
    message: str = ""
    changes: list[str] = field(default_factory=list)
    platform: Platform | None = None


@dataclass
class Removal:
    untagged: list[str] = field(default_factory=list)  # names removed
    deleted: list[str] = field(default_factory=list)  # image and layer IDs deleted
    reclaimed: int = 0  # bytes of layers removed


@dataclass
class NewImage:
    """An image made of blobs already written (a build's, a commit's)."""

    config: str  # the config blob's digest: the image ID
    layers: list[Descriptor] = field(default_factory=list)  # layer blobs, base first
    names: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # each layer's uncompressed bytes
    parent: str = ""  # the image it was made on (a build's previous step)


class ImageClient(Protocol):
    async def get(self, ref: str) -> Image:
        """The image a name, ID or unique ID prefix resolves to; NotFound otherwise."""
        ...

    async def list_images(self, filters: list[str], all: bool = False) -> list[Image]:
        """The images `filters` keep; untagged ones others are built on with `all` only."""
        ...

    def pull(
        self, ref: str, auth: RegistryAuth, platform: Platform | None, all_tags: bool = False
    ) -> AsyncIterator[PullProgress]:
        """Pull and unpack `ref` (with `all_tags`, each tag of the repository it names),
        streaming progress; the last message carries the image (the last tag's)."""
        ...

    async def import_image(self, header: ImportHeader, chunks: AsyncIterator[bytes]) -> Image:
        """A rootfs tarball, streamed in `chunks`, as a one-layer image."""
        ...

    async def unpack(self, ref: str) -> None:
        """Apply every layer of the image in the snapshotter (a no-op when they are)."""
        ...

    async def tag(self, source: str, target: str) -> Image: ...

    def save(self, refs: list[str]) -> AsyncIterator[bytes]:
        """The images as one tar (docker's archive and the OCI layout), in pieces."""
        ...

    def load(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[PullProgress]:
        """Images from a tar streamed in `chunks`; progress lines, the last with the image."""
        ...

    async def login(self, server: str, auth: RegistryAuth) -> str:
        """Check credentials with a registry; its status line ("Login Succeeded")."""
        ...

    def push(self, ref: str, auth: RegistryAuth) -> AsyncIterator[PullProgress]:
        """Push the image `ref` names to its registry; the last message carries the image."""
        ...

    async def remove(
        self,
        ref: str,
        force: bool,
        in_use: list[str] | None = None,
        prune: bool = True,
        untag_only: bool = False,
    ) -> Removal:
        """Untag or delete the image, then (`prune`) its untagged parents but those in
        `in_use`; `untag_only`: a name is taken away, the image kept."""
        ...

    async def read_blob(self, digest: str) -> bytes:
        """A blob of the content store, whole (configs and manifests); NotFound if absent."""
        ...

    async def write_blob(
        self, media_type: str, chunks: AsyncIterator[bytes], lease: str = ""
    ) -> Descriptor:
        """Store a blob (its digest computed); it joins `lease` until an image holds it."""
        ...

    async def create_image(self, image: NewImage) -> Image:
        """Record an image of written blobs (unpacking layers not yet unpacked), named."""
        ...

    async def lease(self, lease: str, digests: list[str], chains: list[str]) -> None:
        """Keep blobs and layer snapshots from garbage collection until `release_lease`."""
        ...

    async def release_lease(self, lease: str) -> None: ...
