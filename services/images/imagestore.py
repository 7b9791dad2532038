"""Image records in SQLite (WAL): images (by ID, the config digest), names, repo digests, and
each image's parent (the image a build step made it on: docker's intermediate images).

An image is recorded only once all its blobs are in the content store and its layers are
unpacked, so a record never points at something missing. Look-ups resolve as docker's:
a name (normalised), a full ID, a unique ID prefix, or name@digest.

A record is read defensively: one stored before configs were checked (or damaged on disk) is
still listed, inspected and removable, its config repaired (`schema.repair_config`: fields of
the wrong shape dropped) and `problems` saying what was wrong — it never stops the others.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound, ResourceExhausted
from dockyard.services.images import reference, schema, shapes
from dockyard.services.images.schema import Descriptor

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    manifest TEXT NOT NULL,
    config TEXT NOT NULL,
    layers TEXT NOT NULL,
    size INTEGER NOT NULL,
    recorded TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS names (
    name TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id)
);
CREATE TABLE IF NOT EXISTS layers (
    chain_id TEXT PRIMARY KEY,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    digest TEXT NOT NULL,
    repository TEXT NOT NULL,
    PRIMARY KEY (digest, repository)
);
CREATE TABLE IF NOT EXISTS digests (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    image_id TEXT NOT NULL REFERENCES images(id),
    PRIMARY KEY (repository, digest)
);
"""


@dataclass
class ImageRecord:
    id: str
    manifest: Descriptor
    config: dict[str, Any]
    layers: list[Descriptor]
    size: int
    recorded: str = ""
    names: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what a damaged record had wrong
    parent: str = ""  # the image it was built on ("" = none)

    @property
    def diff_ids(self) -> list[str]:
        return schema.diff_ids(self.config)

    @property
    def blobs(self) -> set[str]:
        return {self.id, self.manifest.digest, *(layer.digest for layer in self.layers)}


class ImageStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(images)")}
        if "parent" not in columns:  # recorded by a version without parents
            self._db.execute("ALTER TABLE images ADD COLUMN parent TEXT NOT NULL DEFAULT ''")
        self._db.execute("CREATE INDEX IF NOT EXISTS images_parent ON images(parent)")

    def close(self) -> None:
        self._db.close()

    def put(
        self, image: ImageRecord, name: str = "", repo_digest: tuple[str, str] | None = None
    ) -> None:
        """Record `image` (again) and, in the same transaction, its new name and repo digest."""
        with self._writing():
            self._db.execute(
                "INSERT OR IGNORE INTO images VALUES (?, ?, ?, ?, ?, datetime('now'), ?)",
                (
                    image.id,
                    json.dumps(image.manifest.to_json()),
                    json.dumps(image.config),
                    json.dumps([layer.to_json() for layer in image.layers]),
                    image.size,
                    image.parent,
                ),
            )
            if name:
                self._db.execute("INSERT OR REPLACE INTO names VALUES (?, ?)", (name, image.id))
            if repo_digest:
                self._db.execute(
                    "INSERT OR REPLACE INTO digests VALUES (?, ?, ?)", (*repo_digest, image.id)
                )

    def add_repo_digest(self, image_id: str, repository: str, digest: str) -> None:
        with self._writing():
            self._db.execute(
                "INSERT OR REPLACE INTO digests VALUES (?, ?, ?)", (repository, digest, image_id)
            )

    def add_sources(self, digests: list[str], repository: str) -> None:
        """Remember that `repository` ("host/path") holds these blobs (a push mounts from it)."""
        with self._writing():
            self._db.executemany(
                "INSERT OR IGNORE INTO sources VALUES (?, ?)", [(d, repository) for d in digests]
            )

    def sources(self, digest: str) -> list[str]:
        rows = self._db.execute("SELECT repository FROM sources WHERE digest = ?", (digest,))
        return sorted(r[0] for r in rows)

    def forget_sources(self, digests: set[str]) -> None:
        with self._writing():
            self._db.executemany("DELETE FROM sources WHERE digest = ?", [(d,) for d in digests])

    def set_layer_size(self, chain_id: str, size: int) -> None:
        with self._writing():
            self._db.execute("INSERT OR REPLACE INTO layers VALUES (?, ?)", (chain_id, size))

    def layer_size(self, chain_id: str) -> int:
        row = self._db.execute("SELECT size FROM layers WHERE chain_id = ?", (chain_id,)).fetchone()
        return int(row[0]) if row else 0

    def forget_layer(self, chain_id: str) -> None:
        with self._writing():
            self._db.execute("DELETE FROM layers WHERE chain_id = ?", (chain_id,))

    def tag(self, name: str, image_id: str) -> None:
        with self._writing():
            self._db.execute("INSERT OR REPLACE INTO names VALUES (?, ?)", (name, image_id))

    def untag(self, name: str) -> None:
        with self._writing():
            self._db.execute("DELETE FROM names WHERE name = ?", (name,))

    def children(self, image_id: str) -> list[str]:
        """The images recorded with `image_id` as their parent."""
        rows = self._db.execute("SELECT id FROM images WHERE parent = ?", (image_id,))
        return [r[0] for r in rows]

    def parents(self) -> set[str]:
        """Every image that is another's parent."""
        rows = self._db.execute("SELECT DISTINCT parent FROM images WHERE parent != ''")
        return {r[0] for r in rows}

    def delete(self, image_id: str) -> None:
        with self._writing():
            self._db.execute("DELETE FROM names WHERE image_id = ?", (image_id,))
            self._db.execute("DELETE FROM digests WHERE image_id = ?", (image_id,))
            self._db.execute("DELETE FROM images WHERE id = ?", (image_id,))

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction; a disk with no room for it is ResourceExhausted (nothing changed)."""
        try:
            with self._db:
                yield
        except sqlite3.OperationalError as err:
            if "full" not in str(err):
                raise
            raise ResourceExhausted("no space left on device (image metadata)") from None

    def get(self, image_id: str) -> ImageRecord:
        row = self._db.execute(
            "SELECT id, manifest, config, layers, size, recorded, parent FROM images WHERE id = ?",
            (image_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"No such image: {image_id}")
        return self._record(row)

    def all(self) -> list[ImageRecord]:
        rows = self._db.execute(
            "SELECT id, manifest, config, layers, size, recorded, parent FROM images "
            "ORDER BY recorded DESC"
        )
        return [self._record(r) for r in rows.fetchall()]

    def image_of(self, name: str) -> str | None:
        row = self._db.execute("SELECT image_id FROM names WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def resolve(self, text: str) -> ImageRecord:
        """The image `text` names (see the module docstring); NotFound otherwise."""
        if text.startswith("sha256:") or reference.is_digest_prefix(text):
            found = self._by_id_prefix(text.removeprefix("sha256:"))
            if found is not None:
                return found
            if text.startswith("sha256:"):
                raise NotFound(f"No such image: {text}")
        ref = reference.parse(text)
        if ref.digest:
            row = self._db.execute(
                "SELECT image_id FROM digests WHERE repository = ? AND digest = ?",
                (ref.repository, ref.digest),
            ).fetchone()
            if row is not None:
                return self.get(row[0])
        elif (image_id := self.image_of(ref.name)) is not None:
            return self.get(image_id)
        raise NotFound(f"No such image: {reference.familiar(str(ref))}")

    def _by_id_prefix(self, prefix: str) -> ImageRecord | None:
        rows = self._db.execute(
            "SELECT id FROM images WHERE id LIKE ? LIMIT 2", (f"sha256:{prefix}%",)
        ).fetchall()
        if len(rows) > 1:
            raise InvalidArgument(f"ambiguous image ID prefix: {prefix}")
        return self.get(rows[0][0]) if rows else None

    def _record(self, row: tuple[Any, ...]) -> ImageRecord:
        image_id, manifest, config, layers, size, recorded, parent = row
        names = [
            r[0]
            for r in self._db.execute(
                "SELECT name FROM names WHERE image_id = ? ORDER BY name", (image_id,)
            )
        ]
        digests = [
            f"{r[0]}@{r[1]}"
            for r in self._db.execute(
                "SELECT repository, digest FROM digests WHERE image_id = ?", (image_id,)
            )
        ]
        problems: list[str] = []
        repaired, found = schema.repair_config(_loads(config, problems))
        return ImageRecord(
            str(image_id),
            _descriptor(_loads(manifest, problems), problems)
            or Descriptor(schema.DOCKER_MANIFEST, "", 0),
            repaired,
            _descriptors(_loads(layers, problems), problems),
            size if isinstance(size, int) else 0,
            str(recorded),
            names,
            sorted(digests),
            problems + found,
            str(parent or ""),
        )


def _loads(text: Any, problems: list[str]) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        problems.append("a stored document is not valid JSON")
        return None


def _descriptor(doc: Any, problems: list[str]) -> Descriptor | None:
    try:
        checked = shapes.Checker(strict=True).check(shapes.DESCRIPTOR, doc, "descriptor")
    except shapes.Invalid as err:
        problems.append(str(err))
        return None
    return Descriptor.from_json(checked)


def _descriptors(doc: Any, problems: list[str]) -> list[Descriptor]:
    if not isinstance(doc, list):
        problems.append("the stored layer list is not an array")
        return []
    found = [_descriptor(d, problems) for d in doc]
    return [d for d in found if d is not None]
