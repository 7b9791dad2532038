"""Containers' sizes through the Docker API, driven by the real docker CLIs: `ps -s` and a
template naming .Size (`size=1` on /containers/json), `inspect -s` (`size=1` on
/containers/{id}/json) and `system df [-v]` (/system/df's containers with SizeRw)."""

from __future__ import annotations

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
DF_FORMAT = "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"


def test_docker_ps_s_inspect_s_and_system_df(clients: Docker, image: str) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    docker.ok("run", "--name", "wrote", image, "sh", "-c", "head -c 1048576 /dev/zero > /big")
    docker.ok("run", "-d", "--name", "fresh", image, "sleep", "1000")
    image_size = int(docker.ok("image", "inspect", "-f", "{{.Size}}", image))
    sizes = docker.ok("inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "wrote", "fresh")
    assert sizes.split("\n") == [f"{MIB} {MIB + image_size}", f"0 {image_size}", ""]
    listed = docker.ok("ps", "-a", "--format", "{{.Names}}\t{{.Size}}")  # asks for sizes
    assert dict(line.split("\t") for line in listed.splitlines()) == {
        "wrote": f"1.05MB (virtual {human(MIB + image_size, 3)})",
        "fresh": f"0B (virtual {human(image_size, 3)})",
    }
    header, *rows = docker.ok("ps", "-a", "-s").splitlines()
    assert header.split()[-1] == "SIZE" and len(rows) == 2
    df = docker.ok("system", "df", "--format", DF_FORMAT)
    rows_by_type = {line.split("\t")[0]: line.split("\t")[1:] for line in df.splitlines()}
    assert rows_by_type["Containers"] == ["2", "1", "1.049MB", "1.049MB (100%)"]
    verbose = docker.ok("system", "df", "-v")
    section = verbose.split("Containers space usage:\n\n")[1].split("\n\n")[0].splitlines()
    by_name = {line.split()[-1]: line for line in section[1:]}
    assert " 1.05MB " in by_name["wrote"] and " 0B " in by_name["fresh"], section


def human(size: float, precision: int) -> str:
    """docker's units.HumanSizeWithPrecision, written out here on purpose."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.{precision}g}{unit}"
        size /= 1000
    return f"{size:.{precision}g}TB"
