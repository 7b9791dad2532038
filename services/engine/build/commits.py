"""`docker diff` and `docker commit`: a container's writable layer, read with the snapshot diff
the builder uses.

    changes(container)  the layer's changes (A/C/D); the mount points the runtime made for
                        the container (/proc, /etc/hosts, a tmpfs target) are not changes
    commit(container)   an image of the container's image plus that layer: its config the
                        container's (docker's --change instructions applied), its history one
                        entry longer, its parent the container's image (as docker records
                        it); a running container is paused meanwhile (unless asked not to),
                        so the layer is read still

The layer blob and config are held by a lease of the commit's own until the image holds them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from dockyard.api import errors
from dockyard.services.engine import spec
from dockyard.services.engine.build import metadata
from dockyard.services.engine.build.dockerfile import parse
from dockyard.services.engine.build.imagestate import (
    CONFIG,
    LAYER_GZIP,
    ImageState,
    Layer,
    StepResult,
    from_image,
    now,
)
from dockyard.services.engine.build.instructions import parse_node
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.images import Descriptor, Image, NewImage
from dockyard.services.engine.clients.snapshots import Change, DiffChunk
from dockyard.services.engine.model import Container
from dockyard.services.engine.store import ContainerStore

CHANGEABLE = (
    "cmd",
    "entrypoint",
    "env",
    "expose",
    "label",
    "onbuild",
    "stopsignal",
    "user",
    "volume",
    "workdir",
)
NETWORK_FILES = ("/etc/resolv.conf", "/etc/hostname", "/etc/hosts")


@dataclass
class CommitOptions:
    container: str
    reference: str = ""
    comment: str = ""
    author: str = ""
    changes: list[str] = field(default_factory=list)
    pause: bool = True


def mount_stubs(container: Container) -> list[str]:
    """Where the runtime mounts things in the container's rootfs."""
    defaults = [m["destination"] for m in spec.default_mounts()]
    mounted = [m.destination for m in container.mounts]
    stubs = {*defaults, *NETWORK_FILES, *spec.INIT_FILES, *container.host_config.tmpfs, *mounted}
    return sorted(stubs)


class Commits:
    def __init__(self, store: ContainerStore, clients: Clients) -> None:
        self._store = store
        self._c = clients

    async def changes(self, ref: str) -> list[Change]:
        container = self._store.get(ref)
        return await self._c.snapshots.changes(container.id, mount_stubs(container))

    async def commit(self, options: CommitOptions) -> Image:
        container = self._store.get(options.container)
        base = await self._c.images.get(container.image)
        state = await self._state(base)
        lease = f"commit-{secrets.token_hex(8)}"
        try:
            async with self._paused(container, options.pause):
                layer = await self._layer(container, lease)
            config = _config(state, container, options)
            entry: dict[str, Any] = {
                "created": now(),
                "created_by": " ".join([container.path, *container.args]),
            }
            if options.comment:
                entry["comment"] = options.comment
            if layer is None:
                entry["empty_layer"] = True
            result = StepResult(config, entry, layer, options.author or None)
            return await self._record(state.apply("", result), options, lease, base.id)
        finally:
            with contextlib.suppress(errors.DockyardError):
                await self._c.images.release_lease(lease)

    async def _state(self, image: Image) -> ImageState:
        if image.manifest is None or not image.manifest.digest:
            raise errors.FailedPrecondition(f"image {image.id} has no manifest to commit onto")
        config = await self._c.images.read_blob(image.id)
        manifest = await self._c.images.read_blob(image.manifest.digest)
        return from_image(image.id, config, manifest)

    @contextlib.asynccontextmanager
    async def _paused(self, container: Container, pause: bool) -> AsyncIterator[None]:
        running = container.state.status == "running"
        if not (pause and running):
            yield
            return
        await self._c.tasks.pause(container.id)
        try:
            yield
        finally:
            with contextlib.suppress(errors.DockyardError):
                await self._c.tasks.resume(container.id)

    async def _layer(self, container: Container, lease: str) -> Layer | None:
        last: list[DiffChunk] = []

        async def data() -> AsyncIterator[bytes]:
            async for chunk in self._c.snapshots.diff(container.id, mount_stubs(container), False):
                if chunk.diff_id:
                    last.append(chunk)
                elif chunk.data:
                    yield chunk.data

        blob = await self._c.images.write_blob(LAYER_GZIP, data(), lease)
        if not last or last[0].entries == 0:
            return None
        return Layer(last[0].diff_id, blob.digest, blob.size, LAYER_GZIP, last[0].size)

    async def _record(
        self, state: ImageState, options: CommitOptions, lease: str, parent: str
    ) -> Image:
        document = state.config_document({})
        data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()

        async def one() -> AsyncIterator[bytes]:
            yield data

        config = await self._c.images.write_blob(CONFIG, one(), lease)
        layers = [Descriptor(layer.media_type, layer.digest, layer.size) for layer in state.layers]
        names = [options.reference] if options.reference else []
        sizes = [layer.diff_size for layer in state.layers]
        new = NewImage(config.digest, layers, names, sizes, parent)
        return await self._c.images.create_image(new)


def _config(state: ImageState, container: Container, options: CommitOptions) -> dict[str, Any]:
    """The container's config as the image's, with --change applied (as docker commit)."""
    c = container.config
    config = dict(state.config)
    config.update(
        {
            "User": c.user,
            "Env": list(c.env),
            "Cmd": list(c.cmd) if c.cmd is not None else None,
            "Entrypoint": list(c.entrypoint) if c.entrypoint else None,
            "WorkingDir": c.working_dir,
            "Labels": dict(c.labels) or None,
            "ExposedPorts": {p: {} for p in c.exposed_ports} or None,
            "Volumes": {v: {} for v in c.volumes} or None,
            "StopSignal": c.stop_signal or None,
        }
    )
    config = {k: v for k, v in config.items() if v not in (None, "", [], {})}
    current = replace(state, config=config, cmd_set=True)
    for text in options.changes:
        for node in parse(text).nodes:
            if node.command not in CHANGEABLE:
                raise errors.InvalidArgument(
                    f"{node.command.upper()} is not a valid change command"
                )
            instruction = parse_node(node)
            result = metadata.apply(instruction, current, current.env(), "\\")
            current = replace(current, config=result.config)
    return current.config
