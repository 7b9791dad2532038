"""`docker import --change`: a rootfs tarball as a one-layer image whose config takes the
Dockerfile instructions given (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
VOLUME, WORKDIR — docker's set for import and commit), parsed and applied by the builder's own
code, so they mean exactly what they mean in a Dockerfile.

The images service imports the tarball as it comes (untagged); the config with the changes is
then written and an image made of it and the same layer, named as asked; the untagged first
one goes. Both the new config and the layer stay leased until the new image holds them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace

from dockyard.api import errors
from dockyard.services.engine.build import metadata
from dockyard.services.engine.build.commits import CHANGEABLE
from dockyard.services.engine.build.dockerfile import parse
from dockyard.services.engine.build.imagestate import CONFIG, ImageState, from_image
from dockyard.services.engine.build.instructions import parse_node
from dockyard.services.engine.clients.images import (
    Descriptor,
    Image,
    ImageClient,
    ImportHeader,
    NewImage,
)


async def import_with_changes(
    images: ImageClient, header: ImportHeader, chunks: AsyncIterator[bytes]
) -> Image:
    check_changes(header.changes)
    plain = await images.import_image(replace(header, ref="", changes=[]), chunks)
    lease = f"import-{secrets.token_hex(8)}"
    try:
        state = from_image(
            plain.id,
            await images.read_blob(plain.id),
            await images.read_blob(plain.manifest.digest if plain.manifest else ""),
        )
        state = replace(state, config=changed(state, header.changes))
        data = json.dumps(state.config_document({}), separators=(",", ":")).encode()

        async def one() -> AsyncIterator[bytes]:
            yield data

        config = await images.write_blob(CONFIG, one(), lease)
        layers = [Descriptor(layer.media_type, layer.digest, layer.size) for layer in state.layers]
        names = [header.ref] if header.ref else []
        made = await images.create_image(NewImage(config.digest, layers, names, [plain.size]))
    finally:
        with contextlib.suppress(errors.DockyardError):
            await images.release_lease(lease)
    if made.id != plain.id:
        with contextlib.suppress(errors.DockyardError):
            await images.remove(plain.id, True)
    return made


def check_changes(changes: list[str]) -> None:
    for text in changes:
        for node in parse(text).nodes:
            if node.command not in CHANGEABLE:
                raise errors.InvalidArgument(
                    f"{node.command.upper()} is not a valid change command"
                )


def changed(state: ImageState, changes: list[str]) -> dict[str, object]:
    current = state
    for text in changes:
        for node in parse(text).nodes:
            result = metadata.apply(parse_node(node), current, current.env(), "\\")
            current = replace(current, config=result.config)
    return dict(current.config)
