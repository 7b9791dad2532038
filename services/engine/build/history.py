"""`docker history`: the steps that made an image, newest first, read from its config.

Each history entry that made a layer is paired with the next layer's size (uncompressed, as
the images service measured it); entries marked `empty_layer` made none. The newest entry
carries the image's ID and names, the next its parent's (a build step's image), and so on down
the parent chain, as docker fills them in; the entries below the chain's end are "<missing>".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dockyard.api import errors
from dockyard.services.engine.clients.images import Image, ImageClient

MISSING = "<missing>"
RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@dataclass
class HistoryEntry:
    id: str
    created: datetime | None
    created_by: str
    tags: list[str] = field(default_factory=list)
    size: int = 0
    comment: str = ""


async def image_history(images: ImageClient, ref: str) -> list[HistoryEntry]:
    image = await images.get(ref)
    entries = history(image, await images.read_blob(image.id))
    for entry in entries[1:]:
        if not image.parent:
            break
        try:
            image = await images.get(image.parent)
        except errors.NotFound:
            break
        entry.id, entry.tags = image.id, list(image.repo_tags)
    return entries


def history(image: Image, config: bytes) -> list[HistoryEntry]:
    try:
        doc = json.loads(config)
        steps = [h for h in doc.get("history") or [] if isinstance(h, dict)]
    except (ValueError, AttributeError):
        raise errors.InvalidArgument(f"the config of image {image.id} is not valid JSON") from None
    sizes = iter(image.layer_sizes)
    entries = [
        HistoryEntry(
            MISSING,
            _time(step.get("created")),
            str(step.get("created_by") or ""),
            size=0 if step.get("empty_layer") else next(sizes, 0),
            comment=str(step.get("comment") or ""),
        )
        for step in steps
    ]
    if not entries:  # no history at all: one entry for the image
        entries = [HistoryEntry(MISSING, image.created, "", size=image.size)]
    entries.reverse()
    entries[0].id, entries[0].tags = image.id, list(image.repo_tags)
    return entries


def _time(text: object) -> datetime | None:
    match = RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    fraction = (match.group(2) or ".0")[1:7].ljust(6, "0")
    zone = match.group(3).replace("Z", "+00:00")
    return datetime.fromisoformat(f"{match.group(1)}.{fraction}{zone}").astimezone(UTC)
