"""A container's sizes as docker's `ps -s`, `inspect -s` and `system df` show them: SizeRw is
what the container wrote (its writable layer), SizeRootFs that and its image's size; measured
only when asked for."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.integration.dockerapi.test_wire import call
from tests.support.engine import Engine

MIB = 1024 * 1024
WRITE_1MB = "head -c 1048576 /dev/zero > /big"
DEFAULT_HEADERS = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]


def sized(engine: Engine, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(engine.ok("inspect", "-s", name))[0]
    return doc


def df_rows(engine: Engine) -> dict[str, list[str]]:
    """`system df`'s rows by TYPE, each cell of TOTAL, ACTIVE, SIZE, RECLAIMABLE."""
    lines = engine.ok("system", "df").splitlines()
    return {line[:16].strip(): line[16:].split(maxsplit=3) for line in lines}


def test_inspect_and_ps_show_what_a_container_wrote(engine: Engine, busybox: str) -> None:
    engine.ok("run", "--name", "writer", busybox, "sh", "-c", WRITE_1MB)
    engine.ok("create", "--name", "idle", busybox, "true")
    image_size = int(engine.ok("image", "inspect", "-f", "{{.Size}}", busybox))
    plain = json.loads(engine.ok("inspect", "writer"))[0]
    assert "SizeRw" not in plain and "SizeRootFs" not in plain  # only with -s, as docker's
    doc = sized(engine, "writer")
    assert doc["SizeRw"] == MIB  # the file's bytes: no directories, no empty mount stubs
    assert doc["SizeRootFs"] == doc["SizeRw"] + image_size
    keys = list(doc)
    assert keys[keys.index("GraphDriver") + 1 : keys.index("Mounts")] == ["SizeRw", "SizeRootFs"]
    assert (sized(engine, "idle")["SizeRw"], sized(engine, "idle")["SizeRootFs"]) == (0, image_size)
    header, *rows = engine.ok("ps", "-a", "-s").splitlines()
    assert header.split()[-1] == "SIZE" and "SIZE" not in engine.ok("ps", "-a")
    by_name = {row.split()[-4]: row.split("   ")[-1].strip() for row in rows}
    virtual = human3(image_size)
    assert by_name == {
        "writer": f"1.05MB (virtual {human3(image_size + MIB)})",
        "idle": f"0B (virtual {virtual})",
    }
    column = engine.ok("ps", "-a", "--filter", "name=idle", "--format", "{{.Names}} {{.Size}}")
    assert column == f"idle 0B (virtual {virtual})\n"


def test_ps_size_in_table_formats_and_json(engine: Engine, busybox: str) -> None:
    """A bare `--format table` is ps's default table (with SIZE under -s), a table naming .Size
    and `{{json .}}` have the sizes measured; the COMMAND column and the Docker API's Command
    quote an argument holding a space, as dockerd 20.10's."""
    engine.ok("run", "--name", "writer", busybox, "sh", "-c", WRITE_1MB)
    image_size = int(engine.ok("image", "inspect", "-f", "{{.Size}}", busybox))
    size = f"1.05MB (virtual {human3(image_size + MIB)})"
    header, row = engine.ok("ps", "-a", "-s", "--format", "table").splitlines()
    assert re.split(r"\s{2,}", header) == [*DEFAULT_HEADERS, "SIZE"]
    assert row.endswith(f"writer    {size}") and '"sh -c \'head -c 1048…"' in row
    assert re.split(r"\s{2,}", engine.ok("ps", "-a", "--format", "table").splitlines()[0]) == (
        DEFAULT_HEADERS
    )
    table = engine.ok("ps", "-a", "-s", "--format", "table {{.Names}}\t{{.Size}}")
    assert table == engine.ok("ps", "-a", "--format", "table {{.Names}}\t{{.Size}}")
    assert table == f"NAMES     SIZE\nwriter    {size}\n"
    assert json.loads(engine.ok("ps", "-a", "--format", "{{json .}}"))["Size"] == size
    _, _, listed = call(engine, "GET", "/containers/json?all=1")
    assert json.loads(listed)[0]["Command"] == f"sh -c '{WRITE_1MB}'"


def test_system_df_counts_writable_layers_reclaimable_once_stopped(
    engine: Engine, busybox: str
) -> None:
    engine.ok("run", "--name", "stopped", busybox, "sh", "-c", WRITE_1MB)
    script = f"{WRITE_1MB}; touch /done; sleep 1000"
    engine.ok("run", "-d", "--name", "busy", busybox, "sh", "-c", script)
    engine.ok("exec", "busy", "sh", "-c", "until test -e /done; do sleep 0.1; done")
    assert sized(engine, "stopped")["SizeRw"] == sized(engine, "busy")["SizeRw"] == MIB
    assert df_rows(engine)["Containers"] == ["2", "1", "2.097MB", "1.049MB (50%)"]
    verbose = engine.ok("system", "df", "-v")
    section = verbose.split("Containers space usage:\n\n")[1].split("\n\n")[0].splitlines()
    assert section[0].split()[:6] == ["CONTAINER", "ID", "IMAGE", "COMMAND", "LOCAL", "VOLUMES"]
    sizes = {line.split()[-1]: line for line in section[1:]}
    assert " 1.05MB " in sizes["stopped"] and " 1.05MB " in sizes["busy"], section
    engine.ok("stop", "-t", "0", "busy")
    assert df_rows(engine)["Containers"] == ["2", "0", "2.097MB", "2.097MB (100%)"]


def human3(size: float) -> str:
    """docker's units.HumanSizeWithPrecision(size, 3), written out here on purpose."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.3g}{unit}"
        size /= 1000
    return f"{size:.3g}TB"
