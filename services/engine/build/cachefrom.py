"""`build --cache-from`: images whose history may stand in for the build's steps, as docker
20.10's classic builder uses them (moby image/cache/cache.go, daemon/images/cache.go).

With cache sources, a step is taken from a source when the source's history begins with the
history of the state the step starts from (entry for entry), its layers begin with that
state's layers, and its next history entry was made by the same instruction (`created_by`).
The step then gets that entry and, unless the entry is an empty layer's, the source's layer
for it; the next step goes on matching the same source. The build's own cache is not
consulted meanwhile, as docker's builder does not use a local image that is in no source's
chain; a source named that is not here is skipped (docker's logs a warning), and none is
pulled. The sources are the images here: a pulled image serves, whatever built it, as long as
the step's instruction reads the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace

from dockyard.api import errors
from dockyard.services.engine.build.imagestate import ImageState, Layer, StepResult
from dockyard.services.engine.clients.images import Image

Read = Callable[[Image], Awaitable[ImageState]]
Lookup = Callable[[str], Awaitable[Image]]


async def sources(refs: list[str], lookup: Lookup, read: Read) -> list[ImageState]:
    """The images `refs` name that are here (local only), as build states."""
    found = []
    for ref in refs:
        with contextlib.suppress(errors.NotFound, errors.InvalidArgument):
            found.append(await read(await lookup(ref)))
    return found


def match(state: ImageState, probe: StepResult, candidates: list[ImageState]) -> StepResult | None:
    """The step after `state` whose result would be `probe` (its config, its history entry's
    `created_by`), taken from the first candidate that has it; None when none has."""
    created_by = probe.history.get("created_by")
    depth = len(state.history)
    for source in candidates:
        if not _extends(source, state) or len(source.history) <= depth:
            continue
        entry = source.history[depth]
        if not isinstance(entry, dict) or entry.get("created_by") != created_by:
            continue
        layer = None if entry.get("empty_layer") else _layer_at(source, depth)
        if layer is None and not entry.get("empty_layer"):
            continue  # a history that lists more layers than the image has
        return replace(probe, history=dict(entry), layer=layer)
    return None


def _extends(source: ImageState, state: ImageState) -> bool:
    """moby's isValidParent: `source` begins with `state` (a state with no history and no
    layers, scratch's, begins every source)."""
    if not state.history and not state.layers:
        return True
    if len(state.history) >= len(source.history) or len(state.layers) > len(source.layers):
        return False
    if tuple(source.history[: len(state.history)]) != tuple(state.history):
        return False
    mine = [layer.diff_id for layer in state.layers]
    return [layer.diff_id for layer in source.layers[: len(mine)]] == mine


def _layer_at(source: ImageState, index: int) -> Layer | None:
    """The layer of history entry `index` (moby's getLayerForHistoryIndex)."""
    before = sum(1 for entry in source.history[:index] if not entry.get("empty_layer"))
    return source.layers[before] if before < len(source.layers) else None
