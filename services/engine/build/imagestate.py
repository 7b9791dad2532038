"""The image a stage is building, step by step: its config (docker's keys: Env, Cmd,
WorkingDir ...), its history, its layers and the snapshot chain they make.

A stage starts from its base: nothing (`FROM scratch`), another stage's state, or an image
(its config and manifest read from the content store). Each step returns a `StepResult` — a
new config, a history entry, a layer or none — which is what the cache keeps; `apply` makes
the next state of it. `config_document` is the final image config, in the image-spec's JSON.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from dockyard.api.errors import InvalidArgument

LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CONFIG = "application/vnd.docker.container.image.v1+json"
DEFAULT_SHELL = ["/bin/sh", "-c"]


@dataclass(frozen=True)
class Layer:
    diff_id: str  # sha256 of the uncompressed tar
    digest: str  # the blob in the content store
    size: int  # bytes of the blob
    media_type: str = LAYER_GZIP
    diff_size: int = 0  # bytes of the uncompressed tar (0 = not known)

    def to_json(self) -> dict[str, Any]:
        return {
            "diff_id": self.diff_id,
            "digest": self.digest,
            "size": self.size,
            "media_type": self.media_type,
            "diff_size": self.diff_size,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Layer:
        return cls(doc["diff_id"], doc["digest"], doc["size"], doc["media_type"], doc["diff_size"])


@dataclass(frozen=True)
class StepResult:
    """What one step did: the config after it, its history entry, its layer (if any)."""

    config: dict[str, Any]
    history: dict[str, Any]
    layer: Layer | None = None
    author: str | None = None  # MAINTAINER

    def to_json(self) -> str:
        return json.dumps(
            {
                "config": self.config,
                "history": self.history,
                "layer": self.layer.to_json() if self.layer else None,
                "author": self.author,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> StepResult:
        doc = json.loads(text)
        layer = Layer.from_json(doc["layer"]) if doc.get("layer") else None
        return cls(doc["config"], doc["history"], layer, doc.get("author"))


@dataclass(frozen=True)
class ImageState:
    key: str  # identifies this state: the cache key of the last step, or the base's
    config: dict[str, Any] = field(default_factory=dict)
    history: tuple[dict[str, Any], ...] = ()
    layers: tuple[Layer, ...] = ()
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""
    author: str = ""
    base_id: str = ""  # the image this stage is FROM ("" for scratch or a stage)
    image_id: str = ""  # the image this state is: the last step's, or the base's ("" = none)
    cmd_set: bool = False  # CMD was set in this stage (ENTRYPOINT then keeps it)

    @property
    def chain_id(self) -> str:
        return chain_id([layer.diff_id for layer in self.layers])

    def env(self) -> dict[str, str]:
        found = {}
        for entry in self.config.get("Env") or []:
            name, _, value = entry.partition("=")
            found[name] = value
        return found

    def apply(self, key: str, result: StepResult) -> ImageState:
        layers = self.layers + ((result.layer,) if result.layer else ())
        return replace(
            self,
            key=key,
            config=result.config,
            history=(*self.history, result.history),
            layers=layers,
            author=result.author if result.author is not None else self.author,
        )

    def config_document(self, labels: dict[str, str]) -> dict[str, Any]:
        """The image config (image-spec JSON); `labels` (`build --label`) added last."""
        config = copy.deepcopy(self.config)
        if labels:
            config["Labels"] = {**(config.get("Labels") or {}), **labels}
        created = self.history[-1]["created"] if self.history else now()
        doc: dict[str, Any] = {
            "architecture": self.architecture,
            "os": self.os,
            "created": created,
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in self.layers]},
            "history": list(self.history),
        }
        if self.variant:
            doc["variant"] = self.variant
        if self.author:
            doc["author"] = self.author
        return doc


def scratch(key: str, architecture: str) -> ImageState:
    config = {"Env": [f"PATH={DEFAULT_PATH}"]}
    return ImageState(key=key, config=config, architecture=architecture)


DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def with_default_path(state: ImageState) -> ImageState:
    """A stage's base as docker's builder starts it: PATH appended when the image has none
    (an imported rootfs, say), so the image built says what its RUN steps ran with."""
    if "PATH" in state.env():
        return state
    env = [*(state.config.get("Env") or []), f"PATH={DEFAULT_PATH}"]
    return replace(state, config={**state.config, "Env": env})


def from_image(image_id: str, config_doc: bytes, manifest_doc: bytes) -> ImageState:
    """The state an image's config and manifest describe (their layers paired up)."""
    try:
        config = json.loads(config_doc)
        manifest = json.loads(manifest_doc)
        diff_ids = list(config["rootfs"]["diff_ids"])
        blobs = manifest["layers"]
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(f"the image {image_id} has a malformed config or manifest") from None
    if len(diff_ids) != len(blobs):
        raise InvalidArgument(
            f"the image {image_id} lists {len(diff_ids)} diff IDs for {len(blobs)} layers"
        )
    layers = tuple(
        Layer(diff_id, blob["digest"], blob["size"], blob.get("mediaType", LAYER_GZIP))
        for diff_id, blob in zip(diff_ids, blobs, strict=True)
    )
    return ImageState(
        key=f"image:{image_id}",
        config=dict(config.get("config") or {}),
        history=tuple(config.get("history") or ()),
        layers=layers,
        os=config.get("os", "linux"),
        architecture=config.get("architecture", "amd64"),
        variant=config.get("variant", ""),
        author="",
        base_id=image_id,
        image_id=image_id,
    )


def chain_id(diff_ids: list[str]) -> str:
    """The snapshot a layer stack is committed as (the images service's naming)."""
    chain = ""
    for diff_id in diff_ids:
        chain = diff_id if not chain else _sha256(f"{chain} {diff_id}")
    return chain


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def now() -> str:
    """An RFC 3339 time as docker writes it."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def history(created_by: str, empty: bool, comment: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"created": now(), "created_by": created_by}
    if comment:
        entry["comment"] = comment
    if empty:
        entry["empty_layer"] = True
    return entry
