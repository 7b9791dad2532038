"""`docker image prune`: remove the images no container uses — dangling ones (no tag), or all
with `all` — each as `rmi -f` of its ID would, and add up what went.

Filters (docker's): `until=<time>` (RFC 3339, Unix seconds, or a duration such as "24h":
images created before then), `label=<key>[=<value>]` and `label!=<key>[=<value>]`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime

from dockyard.api import errors
from dockyard.services.engine.clients.images import Image, ImageClient, Removal
from dockyard.services.engine.store import ContainerStore

KEYS = ("until", "label", "label!")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


async def prune(
    images: ImageClient, store: ContainerStore, all: bool, filters: list[str]
) -> Removal:
    keep = _matcher(filters)
    used = {c.image for c in store.list()}
    pruned = Removal()
    for image in await images.list_images([]):
        if image.id in used or (image.repo_tags and not all) or not keep(image):
            continue
        try:
            removal = await images.remove(image.id, True)
        except (errors.NotFound, errors.FailedPrecondition):
            continue  # gone with another one, or in use since
        pruned.untagged += removal.untagged
        pruned.deleted += removal.deleted
        pruned.reclaimed += removal.reclaimed
    return pruned


def _matcher(filters: list[str]) -> Callable[[Image], bool]:
    checks: list[Callable[[Image], bool]] = []
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise errors.InvalidArgument(f"invalid filter '{key}'")
        checks.append(_until_check(_until(value)) if key == "until" else _label_check(key, value))
    return lambda image: all(check(image) for check in checks)


def _until_check(limit: float) -> Callable[[Image], bool]:
    return lambda image: image.created is not None and image.created.timestamp() < limit


def _label_check(key: str, wanted: str) -> Callable[[Image], bool]:
    return lambda image: _labelled(image, wanted) == (key == "label")


def _labelled(image: Image, wanted: str) -> bool:
    name, sep, value = wanted.partition("=")
    labels = image.config.labels
    return name in labels and (not sep or labels[name] == value)


def _until(text: str) -> float:
    """Seconds since the epoch of `text`: a time, a Unix timestamp, or a duration ago."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if _DURATION.fullmatch(text) or re.fullmatch(f"(?:{_DURATION.pattern})+", text):
        ago = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
        return time.time() - ago
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise errors.InvalidArgument(f"invalid filter 'until={text}'") from None
