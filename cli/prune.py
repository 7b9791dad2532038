"""`system prune [-a] [--volumes] [-f] [--filter]`, as docker's: stopped containers, unused
networks, (with --volumes) unused anonymous volumes, dangling images (every unused one with -a),
the build cache; and `container prune [-f] [--filter]`, its first part.

Made of the engine's verbs one after the other (container removal, network and volume prune,
image removal), in docker's order, each listed as docker lists it. The filters (`until=`,
`label=`, `label!=`: dockyard.api.prunefilters) choose the containers and networks here, the
images in the engine; a filtered prune leaves the build cache alone, as docker 20.10's does.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call

STOPPED = ("created", "exited", "dead")
BUILTIN_NETWORKS = ("bridge", "host", "none")
FILTER_HELP = "until=…, label=…, label!=…"


def prune(
    all: bool = typer.Option(False, "-a", "--all", help="every unused image, not only dangling"),
    volumes: bool = typer.Option(False, "--volumes", help="unused anonymous volumes too"),
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
    filter: list[str] = typer.Option([], "--filter", help=FILTER_HELP),
) -> None:
    """Remove stopped containers, unused networks and images (and volumes with --volumes)."""
    from dockyard.cli.volumes import confirm

    if not force and not confirm(_warning(all, volumes, filter)):
        return
    report, reclaimed = call("system prune", lambda stubs: _prune(stubs, all, volumes, filter))
    from dockyard.cli import render

    sys.stdout.write(report + f"Total reclaimed space: {render.human_size(reclaimed, 4)}\n")


def container_prune(
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
    filter: list[str] = typer.Option([], "--filter", help=FILTER_HELP),
) -> None:
    """Remove all stopped containers."""
    from dockyard.cli import render
    from dockyard.cli.volumes import confirm

    removed: list[str] = []
    reclaimed = 0
    if force or confirm("WARNING! This will remove all stopped containers."):
        removed, reclaimed = call("container prune", lambda stubs: _containers(stubs, filter))
    # docker 20.10 prints the total even when the prompt was declined
    total = f"Total reclaimed space: {render.human_size(reclaimed, 4)}\n"  # units.HumanSize
    sys.stdout.write(_section("Deleted Containers", removed) + total)


def _warning(everything: bool, volumes: bool, filters: list[str]) -> str:
    lines = ["  - all stopped containers", "  - all networks not used by at least one container"]
    if volumes:
        # docker 20.10 prunes every unused volume; dockyard, as docker 23 and later, the
        # anonymous ones only (volume prune -a for all), and says so
        lines.append("  - all anonymous volumes not used by at least one container")
    lines.append(
        "  - all images without at least one container associated to them"
        if everything
        else "  - all dangling images"
    )
    lines.append("  - all build cache" if everything else "  - all dangling build cache")
    if filters:
        lines += ["", "  Items to be pruned will be filtered with:", *(f"  - {f}" for f in filters)]
    return "WARNING! This will remove:\n" + "\n".join(lines) + "\n"


async def _prune(
    stubs: Stubs, everything: bool, volumes: bool, filters: list[str]
) -> tuple[str, int]:
    from dockyard.cli.volumes import prune_volumes

    containers, reclaimed = await _containers(stubs, filters)
    report = ""
    report += _section("Deleted Containers", containers)
    report += _section("Deleted Networks", await prune_networks(stubs, filters))
    if volumes:
        labels = [f for f in filters if not f.startswith("until=")]
        removed, size = await prune_volumes(stubs, False, labels)
        report += _section("Deleted Volumes", removed)
        reclaimed += size
    deleted, size = await _images(stubs, everything, filters)
    report += _section("Deleted Images", deleted)
    cache = 0 if filters else await _build_cache(stubs)
    return report, reclaimed + size + cache


async def prune_networks(stubs: Stubs, filters: list[str]) -> list[str]:
    """The names of the unused user networks removed (those `filters` choose)."""
    from dockyard.api import prunefilters
    from dockyard.api.errors import FailedPrecondition, NotFound
    from dockyard.network.v1 import network_pb2 as pb

    if not filters:
        return list((await stubs.networks.Prune(pb.PruneNetworksRequest())).removed)
    chosen = prunefilters.matcher(filters)
    removed = []
    for n in (await stubs.networks.List(pb.ListNetworksRequest())).networks:
        if n.name in BUILTIN_NETWORKS or n.config_only or n.containers:
            continue  # a config-only network too, as dockerd's prune leaves them
        if not chosen(_time(n), n.labels):
            continue
        try:
            await stubs.networks.Remove(pb.NetworkRequest(id=n.id))
        except (NotFound, FailedPrecondition):
            continue  # gone, or joined meanwhile
        removed.append(n.name)
    return removed


def _time(thing: Any) -> float | None:
    return thing.created.seconds + thing.created.nanos / 1e9 if thing.HasField("created") else None


async def _build_cache(stubs: Stubs) -> int:
    """The build cache's space (docker's system prune prunes it too); 0 while a build runs."""
    from dockyard.api.errors import FailedPrecondition
    from dockyard.engine.v1 import engine_pb2 as pb

    try:
        pruned = await stubs.builds.Prune(pb.PruneBuildCacheRequest(), timeout=None)
    except FailedPrecondition:
        return 0
    return int(pruned.space_reclaimed)


async def _containers(stubs: Stubs, filters: list[str]) -> tuple[list[str], int]:
    """The stopped containers `filters` choose, removed: their IDs and the bytes they wrote."""
    from dockyard.api import prunefilters
    from dockyard.api.errors import FailedPrecondition, NotFound
    from dockyard.engine.v1 import engine_pb2 as pb

    chosen = prunefilters.matcher(filters)
    listing = await stubs.containers.List(pb.ListContainersRequest(all=True, size=True))
    removed, reclaimed = [], 0
    for c in listing.containers:
        if c.state.status in STOPPED and chosen(_time(c), c.config.labels):
            try:
                await stubs.containers.Remove(pb.RemoveContainerRequest(id=c.id))
            except (NotFound, FailedPrecondition):
                continue  # removed or started meanwhile
            removed.append(c.id)
            reclaimed += c.size_rw
    return removed, reclaimed


async def _images(stubs: Stubs, everything: bool, filters: list[str]) -> tuple[list[str], int]:
    from dockyard.cli.names import familiar
    from dockyard.images.v1 import images_pb2

    request = images_pb2.PruneImagesRequest(all=everything, filters=filters)
    reply = await stubs.images.Prune(request)
    lines = [f"untagged: {familiar(t)}" for t in reply.untagged]
    lines += [f"deleted: {d}" for d in reply.deleted]
    return lines, int(reply.space_reclaimed)


def _section(title: str, items: list[str]) -> str:
    return f"{title}:\n" + "".join(f"{i}\n" for i in items) + "\n" if items else ""
