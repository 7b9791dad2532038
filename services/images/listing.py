"""`docker images` listing: newest first (by the image's own creation time, as dockerd sorts),
and its filters — `reference=<pattern>` (any one; an image is listed with the names that match
only), `dangling=true|false`, `label=<key>[=<value>]` (every one must match), `before=<image>`
and `since=<image>` (created before or after that one) — refused in dockerd's words when it
cannot read them.

An untagged image that is another's parent (a build step's, docker's intermediate image) is
listed with `all` only, and never as dangling: dangling are the untagged images nothing is
built on.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from dockyard.api.errors import InvalidArgument
from dockyard.api.prunefilters import labelled
from dockyard.services.images import reference
from dockyard.services.images.imagestore import ImageRecord
from dockyard.services.images.shapes import parse_time

KEYS = ("reference", "dangling", "label", "before", "since")
EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def matching(
    images: list[ImageRecord],
    filters: list[str],
    resolve: Callable[[str], ImageRecord],
    parents: set[str] = frozenset(),  # type: ignore[assignment]
    all: bool = False,
) -> list[ImageRecord]:
    """Those of `images` `filters` keep, newest first; `resolve` finds a before=/since= image
    (NotFound, as docker's, when there is none); `parents` are the images others are built
    on, of which the untagged are shown with `all` only."""
    images = sorted(images, key=created, reverse=True)
    dangling = any(f.startswith("dangling=") for f in filters)
    images = [i for i in images if not intermediate(i, parents) or (all and not dangling)]
    patterns = []
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise InvalidArgument(f"Invalid filter '{key}'")
        if key == "reference":
            patterns.append(value)
            continue
        keep = _keep(key, value, resolve, parents)
        images = [i for i in images if keep(i)]
    return _named(images, patterns) if patterns else images


def _named(images: list[ImageRecord], patterns: list[str]) -> list[ImageRecord]:
    """The images with a name one of `patterns` matches, each with those names only (as
    dockerd lists them)."""
    narrowed = [
        replace(i, names=[n for n in i.names if any(_matches(p, n) for p in patterns)])
        for i in images
    ]
    return [i for i in narrowed if i.names]


def intermediate(image: ImageRecord, parents: set[str]) -> bool:
    """An untagged image another is built on (docker's intermediate image)."""
    return not image.names and not image.repo_digests and image.id in parents


def _keep(
    key: str, value: str, resolve: Callable[[str], ImageRecord], parents: set[str]
) -> Callable[[ImageRecord], bool]:
    if key == "dangling":
        if value.lower() not in ("true", "1", "false", "0"):
            raise InvalidArgument(f"Invalid filter 'dangling=[{value}]'")
        wanted = value.lower() in ("true", "1")
        return lambda i: (not i.names and i.id not in parents) == wanted
    if key == "label":
        return lambda i: labelled((i.config.get("config") or {}).get("Labels") or {}, value)
    if key in ("before", "since"):
        when = created(resolve(value))
        return lambda i: (created(i) < when) if key == "before" else (created(i) > when)
    raise AssertionError(key)


def created(image: ImageRecord) -> datetime:
    text = image.config.get("created")
    try:
        return parse_time(text) if isinstance(text, str) else EPOCH
    except ValueError:
        return EPOCH


def _matches(pattern: str, name: str) -> bool:
    familiar = reference.familiar(name)
    candidates = {name, familiar, familiar.split(":")[0], name.rsplit(":", 1)[0]}
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)
