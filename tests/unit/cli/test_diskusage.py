"""`system df [-v]`'s figures from what the engine lists: docker's sums, activity and units."""

from __future__ import annotations

import re

from dockyard.cli.diskusage import Usage, summary, verbose_report
from dockyard.engine.v1 import engine_pb2 as pb
from dockyard.images.v1 import images_pb2
from dockyard.volumes.v1 import volumes_pb2

IMAGE = "sha256:" + "a" * 64


def container(name: str, status: str, size_rw: int) -> pb.Container:
    c = pb.Container(id=name * 64, name=name, image=IMAGE, size_rw=size_rw, size_root_fs=size_rw)
    c.state.status = status
    c.config.image = "busybox"
    return c


def usage() -> Usage:
    image = images_pb2.Image(id=IMAGE, repo_tags=["busybox:latest"], size=2_131_000)
    volume = volumes_pb2.Volume(name="data", usage=volumes_pb2.UsageData(size=1_234_567))
    containers = [
        container("a", "running", 1_048_576),
        container("b", "paused", 0),
        container("c", "restarting", 10),
        container("d", "exited", 3_000_000),
        container("e", "created", 1),
    ]
    return Usage([image], containers, [volume])


def test_containers_row_counts_writable_layers_of_inactive_ones_as_reclaimable() -> None:
    rows = {row["Type"]: row for row in summary(usage())}
    assert [rows["Containers"][k] for k in ("TotalCount", "Active", "Size", "Reclaimable")] == [
        "5",
        "3",
        "4.049MB",
        "3MB (74%)",
    ]
    assert (rows["Images"]["Size"], rows["Local Volumes"]["Size"]) == ("2.131MB", "1.235MB")


def test_verbose_rows_in_docker_s_units() -> None:
    report = verbose_report(usage())
    images = column(section(report, "Images space usage"), "SIZE", "SHARED SIZE", "UNIQUE SIZE")
    assert images == [["2.13MB", "0B", "2.131MB"]]  # SIZE in 3 digits, the others in 4
    containers = column(section(report, "Containers space usage"), "NAMES", "SIZE")
    assert containers == [["a", "1.05MB"], ["b", "0B"], ["c", "10B"], ["d", "3MB"], ["e", "1B"]]
    assert column(section(report, "Local Volumes space usage"), "SIZE") == [["1.235MB"]]


def section(report: str, title: str) -> list[str]:
    return report.split(f"{title}:\n\n")[1].split("\n\n")[0].splitlines()


def column(lines: list[str], *names: str) -> list[list[str]]:
    """The cells under the named headers of an aligned table (a cell may hold spaces)."""
    header, rows = lines[0], lines[1:]
    spans = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    ends = [start for _, start in spans[1:]] + [None]
    where = {name: (start, end) for (name, start), end in zip(spans, ends, strict=True)}
    return [[row[slice(*where[n])].strip() for n in names] for row in rows]
