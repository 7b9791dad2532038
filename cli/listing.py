"""`ps` and `inspect`: what is there, as docker's tables, templates and JSON show it."""

from __future__ import annotations

import sys
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call, die

PS_COLUMNS = (
    "ID",
    "Image",
    "Command",
    "CreatedAt",
    "RunningFor",
    "Ports",
    "Status",
    "Size",
    "Names",
    "Labels",
    "State",
    "Mounts",
    "Networks",
    "LocalVolumes",
)
PS_HEADERS = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Ports": "PORTS",
    "Status": "STATUS",
    "Size": "SIZE",
    "Names": "NAMES",
    "Labels": "LABELS",
    "State": "STATE",
    "Mounts": "MOUNTS",
    "Networks": "NETWORKS",
    "LocalVolumes": "LOCAL VOLUMES",
}
PS_CONTEXT = "*formatter.ContainerContext"  # the Go type docker's ps formats with
PS_DEFAULT = (
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
)


def ps(
    all: bool = typer.Option(False, "-a", "--all", help="show stopped containers too"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="only IDs"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="do not truncate"),
    last: int = typer.Option(-1, "-n", "--last", help="the n last created (any state)"),
    latest: bool = typer.Option(False, "-l", "--latest", help="the last created (any state)"),
    filter: list[str] = typer.Option([], "-f", "--filter", help="key=value"),
    format: str = typer.Option("", "--format", help="a Go template, or table/json"),
    size: bool = typer.Option(False, "-s", "--size", help="total file sizes"),
) -> None:
    """List containers."""
    from dockyard.engine.v1 import engine_pb2 as pb

    limit = 1 if latest else max(last, 0)
    measure = not quiet and (size or uses_size(format))
    request = pb.ListContainersRequest(
        all=all or limit > 0, filters=filter, limit=limit, size=measure
    )

    async def work(stubs: Stubs) -> list[Any]:
        return list((await stubs.containers.List(request)).containers)

    found = call("ps", work)
    if quiet:
        for c in found:
            print(c.id if no_trunc else c.id[:12])
        return
    rows = [ps_row(c, no_trunc) for c in found]
    # a bare "table" is the default table, as docker's (with SIZE under -s)
    template = format if format not in ("", "table") else PS_DEFAULT + "\t{{.Size}}" * size
    sys.stdout.write(format_rows(rows, template, PS_HEADERS, PS_CONTEXT, validate=True))


def uses_size(template: str) -> bool:
    """A template naming .Size, or printing every field ({{json .}}), has the sizes measured
    (docker's ps asks for them when the template reads the field)."""
    import re

    return re.search(r"\.Size\b|\bjson\s+\.\s*}}", template) is not None


def ps_row(c: Any, no_trunc: bool) -> dict[str, Any]:
    from dockyard.cli import render

    return {
        "ID": c.id if no_trunc else c.id[:12],
        "Image": c.config.image or render.short_id(c.image),
        "Command": render.command(c, truncate=not no_trunc),
        "CreatedAt": render.local_time(c.created),
        "RunningFor": render.human_duration(render.since(c.created)) + " ago",
        "Ports": render.ports_column(c),
        "Status": render.status(c),
        "Size": render.container_size(c.size_rw, c.size_root_fs),
        "Names": _names(c, no_trunc),
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(c.config.labels.items())),
        "Label": lambda key: c.config.labels.get(key, ""),
        "State": c.state.status,
        "Mounts": ",".join(_mount_name(m, no_trunc) for m in c.mounts),
        "Networks": ",".join(e.network for e in c.network_settings.networks)
        or (c.host_config.network_mode if c.host_config.network_mode in ("host", "none") else ""),
        "LocalVolumes": str(sum(1 for m in c.mounts if m.driver == "local")),
    }


def _names(c: Any, no_trunc: bool) -> str:
    """docker's ps Names: the name, or with --no-trunc every name, its links' ("parent/alias")
    among them, in dockerd's order (by name)."""
    if not no_trunc:
        return str(c.name)
    return ",".join(n.removeprefix("/") for n in sorted([f"/{c.name}", *c.link_names]))


def _mount_name(m: Any, no_trunc: bool) -> str:
    """docker's ps Mounts column: a volume's name or a bind's source, 15 characters at most."""
    name = str(m.name or m.source)
    return name if no_trunc or len(name) <= 15 else name[:14] + "…"


def format_rows(
    rows: list[dict[str, Any]],
    template: str,
    headers: dict[str, str],
    context: str = "",
    validate: bool = False,
) -> str:
    """Rows through a docker `--format`: "table …" (with headers, aligned), "json", or a template.

    `context` names the Go type docker formats these rows with: a field it lacks is then an
    error, as docker's. With `validate`, the template is tried before any row (docker's ps
    does, so that a bad template fails even when nothing is listed)."""
    from dockyard.cli import gotemplate, render

    if template == "json":  # docker marshals a row through a map: its keys sorted
        return "".join(gotemplate.go_json(gotemplate.Context(r, "row")) + "\n" for r in rows)
    is_table = template.startswith("table")
    body = template[len("table") :].strip() if is_table else template
    body = body.replace("\\t", "\t").replace("\\n", "\n")
    columns = _plain_columns(body, headers)
    if is_table and columns and all(isinstance(r[k], str) for r in rows for k in columns):
        # the default table, and any of plain fields between tabs: what the template gives,
        # without running it for each row (it was most of `ps -a`'s own time)
        joined = ["\t".join(row[k] for k in columns) for row in rows]  # a tab in a value splits
        title = [headers[k] for k in columns]  # its cell, as docker's tabwriter splits it
        return render.table([title, *(line.split("\t") for line in joined)])
    wrap = (lambda row: gotemplate.Context(row, context)) if context else dict
    try:
        nodes = gotemplate.parse(body)
    except gotemplate.TemplateError as err:
        die(f"template parsing error: {err}")
    methods = {"Label": label_header} if "Labels" in headers else {}
    try:
        if validate:
            gotemplate.execute(nodes, wrap(dict.fromkeys(headers, "") | methods))
    except gotemplate.TemplateError as err:
        die(f"failed to execute template: {err}")
    try:
        lines = [gotemplate.execute(nodes, wrap(row)) for row in rows]
        if not is_table:
            return "".join(line + "\n" for line in lines)
        titles = {k: headers.get(k, k.upper()) for k in headers} | methods
        header = gotemplate.execute(nodes, wrap(titles))
    except gotemplate.TemplateError as err:
        die(f"template parsing error: {err}")
    return render.table([line.split("\t") for line in [header, *lines]])


def label_header(name: str) -> str:
    """The column title docker gives {{.Label "com.example.my-key"}}: "my key"."""
    return name.split(".")[-1].replace("-", " ").replace("_", " ")


def _plain_columns(body: str, headers: dict[str, str]) -> list[str]:
    """The fields of a template that is only `{{.Field}}`s between tabs, each a field the rows
    have (`headers`): the columns it prints as they are. Else none."""
    import re

    cells = body.split("\t")
    fields = [re.fullmatch(r"\{\{\s*\.(\w+)\s*\}\}", cell) for cell in cells]
    if not all(f is not None and f.group(1) in headers for f in fields):
        return []
    return [f.group(1) for f in fields if f is not None]


def inspect(
    names: list[str] = typer.Argument(..., metavar="NAME|ID..."),
    format: str = typer.Option("", "-f", "--format", help="a Go template"),
    type: str = typer.Option("", "--type", help="container | image"),
    size: bool = typer.Option(False, "-s", "--size", help="total file sizes (containers)"),
) -> None:
    """Show low-level information about containers or images (docker's JSON)."""
    show(names, format, type, size)


def inspect_containers(
    names: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    format: str = typer.Option("", "-f", "--format", help="a Go template"),
    size: bool = typer.Option(False, "-s", "--size", help="total file sizes"),
) -> None:
    """Show low-level information about containers."""
    show(names, format, "container", size)


def show(names: list[str], template: str, kind: str, size: bool = False) -> None:
    from dockyard.api import containerjson
    from dockyard.api.errors import NotFound
    from dockyard.cli import render
    from dockyard.engine.v1 import engine_pb2 as pb
    from dockyard.images.v1 import images_pb2

    async def one(stubs: Stubs, name: str) -> dict[str, Any]:
        if kind in ("", "container"):
            try:
                return containerjson.inspect(
                    await stubs.containers.Inspect(pb.InspectContainerRequest(id=name, size=size))
                )
            except NotFound:
                if kind:
                    raise
        return render.image_json(await stubs.images.Inspect(images_pb2.GetImageRequest(ref=name)))

    async def work(stubs: Stubs) -> tuple[list[dict[str, Any]], int]:
        found, failures = [], 0
        for name in names:
            try:
                doc = await one(stubs, name)
            except NotFound:
                sys.stderr.write(f"Error: No such {kind or 'object'}: {name}\n")
                failures += 1
                continue
            found.append(doc)
        return found, failures

    docs, failures = call("inspect", work)
    print_docs(docs, template, failures)


def print_docs(docs: list[dict[str, Any]], template: str, failures: int) -> None:
    """inspect's output: each document through the template, or all as docker's JSON array;
    exit 1 when some were not found (their errors are written already). A template naming a
    field a document lacks fails as docker's (its raw-JSON fallback: "map has no entry")."""
    from dockyard.cli import gotemplate, render

    if template:
        try:
            nodes = gotemplate.parse(template)
            for doc in docs:
                print(gotemplate.execute(nodes, as_struct(doc)))
        except gotemplate.TemplateError as err:
            print(flush=True)
            die(f"template parsing error: {err}")
    else:
        print(render.dumps(docs))
    if failures:
        sys.exit(1)


# Keys of docker's inspect documents whose values are Go maps (a missing key is "<no value>"),
# not structs (a missing field is an error); LogConfig's "Config" too.
GO_MAPS = frozenset(
    (
        "Labels", "ExposedPorts", "Volumes", "PortBindings", "Tmpfs", "Sysctls", "StorageOpt",
        "Data", "Ports", "Networks", "DriverOpts", "Options", "Containers",
    )
)  # fmt: skip


def as_struct(value: Any, key: str = "", parent: str = "") -> Any:
    """A JSON document as docker's templates see it: objects are structs but for Go maps."""
    from dockyard.cli.gotemplate import Context

    if isinstance(value, list):
        return [as_struct(item) for item in value]
    if not isinstance(value, dict):
        return value
    items = {k: as_struct(v, k, key) for k, v in value.items()}
    if key in GO_MAPS or (key, parent) == ("Config", "LogConfig"):
        return items
    return Context(items)
