"""A build step's image, as docker's classic builder commits one after every step: the config
after the step, the layers so far, the previous step's image as its parent (the base image
for a stage's first step). `dockyard run <step id>` runs it, like `docker run` of the
" ---> <id>" a classic build prints.

The image ID is the digest of its config, and the config is made of what the build cache
keeps (each step's config and history entry, with its time), so a step taken from the cache
has the ID it had when it was made — and its image is made again, with that ID, when it was
removed since. The config blob joins the build cache's lease, as the layers do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator

from dockyard.api import errors
from dockyard.services.engine.build.cache import LEASE
from dockyard.services.engine.build.imagestate import CONFIG, ImageState
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.images import Descriptor, NewImage


def config_bytes(state: ImageState) -> bytes:
    """`state`'s image config, serialised as the image ID is computed from it."""
    document = state.config_document({})
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


async def commit(clients: Clients, state: ImageState, parent: str, cached: bool = True) -> str:
    """The ID of `state`'s image, made (on `parent`) unless it is there already — which only
    a `cached` step's can be (a step just done has a new time in its history)."""
    data = config_bytes(state)
    image_id = "sha256:" + hashlib.sha256(data).hexdigest()
    if cached:
        with contextlib.suppress(errors.NotFound):
            return (await clients.images.get(image_id)).id
    config = await clients.images.write_blob(CONFIG, _one(data), LEASE)
    image = await clients.images.create_image(
        NewImage(
            config.digest,
            [Descriptor(layer.media_type, layer.digest, layer.size) for layer in state.layers],
            [],
            [layer.diff_size for layer in state.layers],
            parent,
        )
    )
    return image.id


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
