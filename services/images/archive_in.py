"""`docker load`: images from a tar — docker's archive (`manifest.json`, from `docker save` of
any version, `skopeo copy … docker-archive:`) or an OCI image layout (`index.json`), or both.

    index.json there?   each manifest it lists (an index in it: the host's platform), named by
                        "io.containerd.image.name" (else a full "org.opencontainers.image.ref.name")
    manifest.json       each entry's Config and Layers paths, named by its RepoTags

Nothing in the archive is trusted: its documents are checked as a registry's are (`schema`),
members are only read (never extracted), a member name or a link that would reach outside
the archive (`../`, an absolute symlink) makes it invalid, a symlink is followed inside the
archive only (old docker archives link shared layers), every blob is hashed as it is copied
in, and a truncated tar is an error where it ends. The images are then made by
`Authoring.create` (config checked against the layers, unpacked with each diff ID verified,
recorded, named).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dockyard.api.compression import CORRUPT, GZIP_MAGIC, ZSTD_MAGIC, uncompressed
from dockyard.api.errors import InvalidArgument
from dockyard.services.images import reference, schema, shapes
from dockyard.services.images.content import ContentStore
from dockyard.services.images.resolve import Platform
from dockyard.services.images.schema import Descriptor, Index, Manifest

MAX_MEMBERS = 100_000
MAX_DOCUMENT = 4 << 20
MAX_LINKS = 16
DOCKER_ARCHIVE = shapes.Array(
    shapes.Obj(
        {"Config": shapes.STR, "RepoTags": shapes.STRS, "Layers": shapes.STRS},
        required=("Config", "Layers"),
    )
)
LAYER_TYPES = {
    "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "": "application/vnd.docker.image.rootfs.diff.tar",
}


@dataclass
class Loadable:
    """One image found in the archive, its blobs already in the content store."""

    config: str  # digest: the image ID
    layers: list[Descriptor]
    names: list[str] = field(default_factory=list)  # normalised


class Archive:
    """A load archive on disk, opened for reading (see the module docstring)."""

    def __init__(self, path: Path, content: ContentStore, platform: Platform) -> None:
        self._content = content
        self._platform = platform
        try:
            self._tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError) as err:
            raise InvalidArgument(f"the archive is not a tar file: {err}") from None
        self._members = self._index_members()

    def close(self) -> None:
        self._tar.close()

    def images(self, keep: Callable[[str], None]) -> list[Loadable]:
        """The images of the archive, their blobs copied in (`keep(digest)` leases each)."""
        if "index.json" in self._members:
            found = self._oci(keep)
            if found:
                return self._named_from_docker(found)
        if "manifest.json" in self._members:
            return self._docker(keep)
        raise InvalidArgument("the archive holds no manifest.json nor index.json: not images")

    # -- docker's manifest.json ---------------------------------------------------------------

    def _docker(self, keep: Callable[[str], None]) -> list[Loadable]:
        loaded = []
        for entry in self._docker_entries():
            config = self._blob(entry["Config"], "", keep)
            layers = [self._layer(path, keep) for path in entry["Layers"]]
            names = [_name(tag) for tag in entry.get("RepoTags") or []]
            loaded.append(Loadable(config.digest, layers, names))
        return loaded

    def _docker_entries(self) -> list[dict[str, Any]]:
        doc = self._json("manifest.json")
        try:
            entries = shapes.Checker(strict=True).check(DOCKER_ARCHIVE, doc, "manifest.json")
        except shapes.Invalid as err:
            raise InvalidArgument(f"invalid archive: {err}") from None
        return list(entries)

    def _named_from_docker(self, found: list[Loadable]) -> list[Loadable]:
        """Names the index did not give, from manifest.json's RepoTags (docker 25 writes both)."""
        if "manifest.json" not in self._members:
            return found
        tags = {
            posixpath.basename(e["Config"]): [_name(t) for t in e.get("RepoTags") or []]
            for e in self._docker_entries()
        }
        for image in found:
            if not image.names:
                image.names = tags.get(image.config[7:], [])
        return found

    def _layer(self, path: str, keep: Callable[[str], None]) -> Descriptor:
        member = self._member(path)
        source = self._open(member, path)
        magic = source.read(4)
        kind = (
            "gzip"
            if magic.startswith(GZIP_MAGIC)
            else "zstd"
            if magic.startswith(ZSTD_MAGIC)
            else ""
        )
        source.close()
        blob = self._blob(path, "", keep)
        return Descriptor(LAYER_TYPES[kind], blob.digest, blob.size)

    # -- the OCI image layout ---------------------------------------------------------------------

    def _oci(self, keep: Callable[[str], None]) -> list[Loadable]:
        index = schema.parse_manifest(self._read("index.json", MAX_DOCUMENT), schema.OCI_INDEX)
        if not isinstance(index, Index):
            raise InvalidArgument("invalid archive: index.json is not an index")
        loaded: dict[str, Loadable] = {}
        for entry in index.manifests:
            manifest = self._manifest(entry.descriptor)
            if manifest is None:
                continue
            image = loaded.get(manifest.config.digest)
            if image is None:
                self._blob(_blob_path(manifest.config.digest), manifest.config.digest, keep)
                layers = [self._oci_layer(d, keep) for d in manifest.layers]
                image = loaded[manifest.config.digest] = Loadable(manifest.config.digest, layers)
            name = _annotated_name(entry.descriptor.annotations)
            if name and name not in image.names:
                image.names.append(name)
        return list(loaded.values())

    def _manifest(self, desc: Descriptor, depth: int = 0) -> Manifest | None:
        data = self._read(_blob_path(desc.digest), MAX_DOCUMENT)
        _verify(data, desc.digest)
        found = schema.parse_manifest(data, desc.media_type)
        if isinstance(found, Manifest):
            return found
        if depth:
            raise InvalidArgument("invalid archive: an index within an index within an index")
        for entry in found.manifests:
            if self._platform.matches(entry.platform):
                return self._manifest(entry.descriptor, depth + 1)
        return None  # no image for this platform in that index

    def _oci_layer(self, desc: Descriptor, keep: Callable[[str], None]) -> Descriptor:
        if desc.urls and not self._content.exists(desc.digest):
            raise InvalidArgument(f"the archive lacks the foreign layer {desc.digest}")
        blob = self._blob(_blob_path(desc.digest), desc.digest, keep)
        return Descriptor(desc.media_type, blob.digest, blob.size)

    # -- members ------------------------------------------------------------------------------------

    def _index_members(self) -> dict[str, tarfile.TarInfo]:
        found: dict[str, tarfile.TarInfo] = {}
        try:
            for count, member in enumerate(self._tar):
                if count > MAX_MEMBERS:
                    raise InvalidArgument(f"the archive has more than {MAX_MEMBERS} members")
                found[_inside(member.name, member.name)] = member
                if member.issym() or member.islnk():
                    _check_link(member)
        except tarfile.TarError as err:
            raise InvalidArgument(f"the archive is not a valid tar file: {err}") from None
        return found

    def _member(self, path: str, hops: int = 0) -> tarfile.TarInfo:
        member = self._members.get(_inside(path, path))
        if member is None:
            raise InvalidArgument(f"invalid archive: {path} is missing")
        if member.issym() or member.islnk():
            if hops >= MAX_LINKS:
                raise InvalidArgument(f"invalid archive: too many links from {path}")
            base = posixpath.dirname(member.name) if member.issym() else ""
            return self._member(posixpath.join(base, member.linkname), hops + 1)
        if not member.isreg():
            raise InvalidArgument(f"invalid archive: {path} is not a file")
        return member

    def _open(self, member: tarfile.TarInfo, path: str) -> IO[bytes]:
        source = self._tar.extractfile(member)
        if source is None:
            raise InvalidArgument(f"invalid archive: {path} is not a file")
        return source

    def _read(self, path: str, limit: int) -> bytes:
        member = self._member(path)
        if member.size > limit:
            raise InvalidArgument(f"invalid archive: {path} is too big ({member.size} bytes)")
        with _intact(path):
            return self._open(member, path).read()

    def _json(self, path: str) -> Any:
        try:
            return json.loads(self._read(path, MAX_DOCUMENT))
        except ValueError:
            raise InvalidArgument(f"invalid archive: {path} is not valid JSON") from None

    def _blob(self, path: str, digest: str, keep: Callable[[str], None]) -> Descriptor:
        """Copy the member `path` into the content store (checked against `digest` if given)."""
        member = self._member(path)
        writer = self._content.writer(f"load-{hashlib.sha256(path.encode()).hexdigest()[:16]}")
        try:
            writer.restart()
            source = self._open(member, path)
            with _intact(path):
                while piece := source.read(1 << 20):
                    writer.write(piece)
            got = writer.commit(digest, member.size)
        except BaseException:
            writer.abort()
            raise
        keep(got)
        return Descriptor("", got, member.size)


def verify_diff_id(blob: Path, diff_id: str) -> None:
    """The uncompressed tar of the layer `blob` (gzip, zstd or none) must hash to `diff_id`."""
    digest = hashlib.sha256()
    with blob.open("rb") as raw:
        source = uncompressed(raw)
        try:
            while piece := source.read(1 << 20):
                digest.update(piece)
        except (OSError, *CORRUPT) as err:
            raise InvalidArgument(f"layer {blob.name[:12]} is corrupt: {err}") from None
    if f"sha256:{digest.hexdigest()}" != diff_id:
        raise InvalidArgument(
            f"layer diff ID mismatch: expected {diff_id}, got sha256:{digest.hexdigest()}"
        )


def _inside(name: str, member: str) -> str:
    """`name` as a path from the archive's root; an error if it reaches outside."""
    path = posixpath.normpath(name.lstrip("/"))
    if path == ".." or path.startswith("../"):
        raise InvalidArgument(f"invalid archive: {member} reaches outside the archive")
    return path


def _check_link(member: tarfile.TarInfo) -> None:
    """A link must stay inside the archive: relative, and not up out of its root."""
    if member.linkname.startswith("/"):
        raise InvalidArgument(
            f"invalid archive: {member.name} links to the absolute path {member.linkname}"
        )
    base = posixpath.dirname(member.name) if member.issym() else ""
    _inside(posixpath.join(base, member.linkname), member.name)


@contextlib.contextmanager
def _intact(path: str) -> Iterator[None]:
    """Reading a member of a truncated or corrupt tar: a clear error."""
    try:
        yield
    except (tarfile.TarError, EOFError) as err:
        raise InvalidArgument(f"invalid archive: reading {path}: {err}") from None


def _blob_path(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _verify(data: bytes, digest: str) -> None:
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise InvalidArgument(f"invalid archive: a manifest does not match its digest {digest}")


def _annotated_name(annotations: dict[str, str]) -> str:
    for key in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
        text = annotations.get(key, "")
        if text and (":" in text or "@" in text or "/" in text):
            try:
                return _name(text)
            except InvalidArgument:
                continue
    return ""


def _name(text: str) -> str:
    ref = reference.parse(text)
    if not ref.tag:
        raise InvalidArgument(f"invalid archive: {text} is not a tagged name")
    return ref.name
