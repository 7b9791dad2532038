"""Unpacking: applying an image's layers into the snapshotter, each as a committed snapshot
named by its chain ID, so identical layer stacks are stored once and "is this layer unpacked?"
is one look-up (containerd's design).

    chainID(L0) = diffID(L0);  chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln))

For a missing layer: prepare "extract-<random>-<chain ID>" over the parent chain, apply the
blob into it, commit it as the chain ID; on failure remove the key. A commit that finds the
name taken lost a race with another pull of the same layer, which is fine: drop ours.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dockyard.api.errors import AlreadyExists, DockyardError


class LayerStore(Protocol):
    """What unpacking needs from the snapshots service."""

    async def exists(self, name: str) -> bool: ...
    async def prepare(self, key: str, parent: str) -> None: ...
    async def apply(
        self, key: str, blob: Path, media_type: str, diff_id: str
    ) -> tuple[str, int]: ...
    async def commit(self, name: str, key: str) -> None: ...
    async def remove(self, key: str) -> None: ...
    async def committed(self) -> list[tuple[str, str]]:
        """(name, parent) of every committed snapshot."""
        ...


def next_chain_id(parent: str, diff_id: str) -> str:
    if not parent:
        return diff_id
    return "sha256:" + hashlib.sha256(f"{parent} {diff_id}".encode()).hexdigest()


def chain_ids(diff_ids: list[str]) -> list[str]:
    chain: list[str] = []
    for diff_id in diff_ids:
        chain.append(next_chain_id(chain[-1] if chain else "", diff_id))
    return chain


@dataclass(frozen=True)
class Layer:
    blob: Path
    media_type: str
    diff_id: str  # "" = not known yet (import): taken from what the apply computes


async def apply_layer(
    store: LayerStore, parent: str, chain_id: str, layer: Layer
) -> tuple[str, int] | None:
    """Apply `layer` as `chain_id` over `parent` unless it is there; (diff ID, size) if applied.

    With an unknown diff ID (`chain_id` = ""), the chain ID is computed from the applied layer.
    """
    if chain_id and await store.exists(chain_id):
        return None
    key = f"extract-{secrets.token_hex(4)}-{chain_id or 'new'}"
    await store.prepare(key, parent)
    try:
        diff_id, size = await store.apply(key, layer.blob, layer.media_type, layer.diff_id)
        name = chain_id or next_chain_id(parent, diff_id)
        try:
            await store.commit(name, key)
        except AlreadyExists:
            await store.remove(key)
    except BaseException:
        with contextlib.suppress(DockyardError):
            await store.remove(key)
        raise
    return diff_id, size
