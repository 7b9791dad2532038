"""`system prune [-a] [--volumes] [-f]`, as docker's: stopped containers, unused networks,
(with --volumes) unused anonymous volumes, dangling images (every unused one with -a), the
build cache.

Made of the engine's verbs one after the other (container removal, network and volume prune,
image removal), in docker's order, each listed as docker lists it.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call

STOPPED = ("created", "exited", "dead")


def prune(
    all: bool = typer.Option(False, "-a", "--all", help="every unused image, not only dangling"),
    volumes: bool = typer.Option(False, "--volumes", help="unused anonymous volumes too"),
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
) -> None:
    """Remove stopped containers, unused networks and images (and volumes with --volumes)."""
    from dockyard.cli.volumes import confirm

    if not force and not confirm(_warning(all, volumes)):
        return
    report, reclaimed = call("system prune", lambda stubs: _prune(stubs, all, volumes))
    from dockyard.cli import render

    sys.stdout.write(report + f"Total reclaimed space: {render.human_size(reclaimed)}\n")


def _warning(everything: bool, volumes: bool) -> str:
    lines = ["  - all stopped containers", "  - all networks not used by at least one container"]
    if volumes:
        lines.append("  - all anonymous volumes not used by at least one container")
    lines.append(
        "  - all images without at least one container associated to them"
        if everything
        else "  - all dangling images"
    )
    lines.append("  - unused build cache")
    return "WARNING! This will remove:\n" + "\n".join(lines) + "\n"


async def _prune(stubs: Stubs, everything: bool, volumes: bool) -> tuple[str, int]:
    from dockyard.cli.volumes import prune_volumes
    from dockyard.network.v1 import network_pb2

    report, reclaimed = "", 0
    containers = await _containers(stubs)
    report += _section("Deleted Containers", containers)
    networks = (await stubs.networks.Prune(network_pb2.PruneNetworksRequest())).removed
    report += _section("Deleted Networks", list(networks))
    if volumes:
        removed, size = await prune_volumes(stubs, False, [])
        report += _section("Deleted Volumes", removed)
        reclaimed += size
    deleted, size = await _images(stubs, everything)
    report += _section("Deleted Images", deleted)
    return report, reclaimed + size + await _build_cache(stubs)


async def _build_cache(stubs: Stubs) -> int:
    """The build cache's space (docker's system prune prunes it too); 0 while a build runs."""
    from dockyard.api.errors import FailedPrecondition
    from dockyard.engine.v1 import engine_pb2 as pb

    try:
        pruned = await stubs.builds.Prune(pb.PruneBuildCacheRequest(), timeout=None)
    except FailedPrecondition:
        return 0
    return int(pruned.space_reclaimed)


async def _containers(stubs: Stubs) -> list[str]:
    from dockyard.engine.v1 import engine_pb2 as pb

    listing = await stubs.containers.List(pb.ListContainersRequest(all=True))
    removed = []
    for c in listing.containers:
        if c.state.status in STOPPED:
            await stubs.containers.Remove(pb.RemoveContainerRequest(id=c.id))
            removed.append(c.id)
    return removed


async def _images(stubs: Stubs, everything: bool) -> tuple[list[str], int]:
    from dockyard.api.errors import DockyardError
    from dockyard.engine.v1 import engine_pb2 as pb
    from dockyard.images.v1 import images_pb2

    used = {
        c.image
        for c in (await stubs.containers.List(pb.ListContainersRequest(all=True))).containers
    }
    images = (await stubs.images.List(images_pb2.ListImagesRequest())).images
    lines, size = [], 0
    for image in images:
        if image.id in used or (image.repo_tags and not everything):
            continue
        try:
            removal: Any = await stubs.images.Remove(images_pb2.RemoveImageRequest(ref=image.id))
        except DockyardError:
            continue  # taken meanwhile
        lines += [f"untagged: {t}" for t in removal.untagged]
        lines += [f"deleted: {d}" for d in removal.deleted]
        size += image.size
    return lines, size


def _section(title: str, items: list[str]) -> str:
    return f"{title}:\n" + "".join(f"{i}\n" for i in items) + "\n" if items else ""
