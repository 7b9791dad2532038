"""`system df [-v]`: what images, containers, volumes and the build cache take, as docker's.

Images are sized by the images service, volumes measured by the volumes service (with the
containers using each, from the engine), containers' writable layers by the snapshots service
(through the engine's list with `size`); there is no build cache. The summary's sizes are
docker's units.HumanSize (4 significant digits), as are the verbose rows' but for images' and
containers' SIZE (3, as its `images` and `ps -s`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call

SUMMARY_HEADERS = {
    "Type": "TYPE",
    "TotalCount": "TOTAL",
    "Active": "ACTIVE",
    "Size": "SIZE",
    "Reclaimable": "RECLAIMABLE",
}
SUMMARY_DEFAULT = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
ACTIVE = ("running", "paused", "restarting")  # a container whose layer is not reclaimable


@dataclass
class Usage:
    images: list[Any]
    containers: list[Any]
    volumes: list[Any]


async def usage(stubs: Stubs) -> Usage:
    from dockyard.engine.v1 import engine_pb2 as pb
    from dockyard.images.v1 import images_pb2

    images = await stubs.images.List(images_pb2.ListImagesRequest())
    containers = await stubs.containers.List(pb.ListContainersRequest(all=True, size=True))
    volumes = await stubs.volumes.List(pb.ListVolumesRequest(usage=True))
    return Usage(list(images.images), list(containers.containers), list(volumes.volumes))


def df(
    verbose: bool = typer.Option(False, "-v", "--verbose", help="each item's usage"),
    format: str = typer.Option("", "--format", help="a Go template, table or json"),
) -> None:
    """Show the disk space the engine uses."""
    from dockyard.cli.listing import format_rows

    found = call("system df", usage)
    if verbose:
        print(verbose_report(found), end="")
        return
    rows, template = summary(found), format or SUMMARY_DEFAULT
    print(format_rows(rows, template, SUMMARY_HEADERS, "*formatter.diskUsageImagesContext"), end="")


def summary(found: Usage) -> list[dict[str, str]]:
    used_images = {c.image for c in found.containers}
    image_size = sum(i.size for i in found.images)
    unused_images = sum(i.size for i in found.images if i.id not in used_images)
    volume_sizes = [max(v.usage.size, 0) for v in found.volumes]
    unused_volumes = sum(max(v.usage.size, 0) for v in found.volumes if v.usage.ref_count == 0)
    active = [c for c in found.containers if c.state.status in ACTIVE]
    return [
        _row(
            "Images",
            len(found.images),
            len(used_images & {i.id for i in found.images}),
            image_size,
            unused_images,
        ),
        _row(
            "Containers",
            len(found.containers),
            len(active),
            sum(c.size_rw for c in found.containers),
            sum(c.size_rw for c in found.containers if c.state.status not in ACTIVE),
        ),
        _row(
            "Local Volumes",
            len(found.volumes),
            sum(1 for v in found.volumes if v.usage.ref_count > 0),
            sum(volume_sizes),
            unused_volumes,
        ),
        _row("Build Cache", 0, 0, 0, 0),
    ]


def _row(kind: str, total: int, active: int, size: int, reclaimable: int) -> dict[str, str]:
    from dockyard.cli import render

    text = render.human_size(reclaimable, 4)
    if size > 0:
        text += f" ({reclaimable * 100 // size}%)"
    return {
        "Type": kind,
        "TotalCount": str(total),
        "Active": str(active),
        "Size": render.human_size(size, 4),
        "Reclaimable": text,
    }


def verbose_report(found: Usage) -> str:
    from dockyard.cli import render
    from dockyard.cli.images import image_rows
    from dockyard.cli.listing import ps_row

    users: dict[str, int] = {}
    for c in found.containers:
        users[c.image] = users.get(c.image, 0) + 1
    images = [
        [
            "REPOSITORY",
            "TAG",
            "IMAGE ID",
            "CREATED",
            "SIZE",
            "SHARED SIZE",
            "UNIQUE SIZE",
            "CONTAINERS",
        ]
    ]
    for image in found.images:
        for row in image_rows(image, False):
            images.append(
                [
                    row["Repository"],
                    row["Tag"],
                    row["ID"],
                    row["CreatedSince"],
                    render.human_size(image.size),
                    "0B",
                    render.human_size(image.size, 4),  # docker's HumanSize, as SHARED SIZE
                    str(users.get(image.id, 0)),
                ]
            )
    containers = [
        ["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"]
    ]
    for c in found.containers:
        row = ps_row(c, False)
        containers.append(
            [
                row["ID"],
                row["Image"],
                row["Command"],
                row["LocalVolumes"],
                render.human_size(c.size_rw),  # without "(virtual …)", as docker's
                row["RunningFor"],
                row["Status"],
                row["Names"],
            ]
        )
    volumes = [["VOLUME NAME", "LINKS", "SIZE"]]
    for v in found.volumes:
        size = render.human_size(v.usage.size, 4) if v.usage.size >= 0 else "N/A"
        volumes.append([v.name, str(v.usage.ref_count), size])
    return (
        f"Images space usage:\n\n{render.table(images)}\n"
        f"Containers space usage:\n\n{render.table(containers)}\n"
        f"Local Volumes space usage:\n\n{render.table(volumes)}\n"
        "Build cache usage: 0B\n\n"
        + render.table(
            [["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"]]
        )
    )
